#!/usr/bin/python3
"""The cost of a training step written in Python over cimtrain.nn layers against the cimtrain program's own step
(`cimtrain bench`), measured side by side: each repeat runs the program's bench in a subprocess and then the
Python loop in this process, on the same model (the program's, as a PyTorch copy converted with
cimtrain.convert_to_analog), mode, chip, batch, optimiser (SGD 0.01, Nesterov momentum 0.9, weight decay 5e-4),
a synthetic batch of the same shape, and the same threads and thread-waiting policy. Prints and writes the ratio of the
medians (target <= 1.1) to OUT/bench.json and OUT/bench.md.

    PYTHONPATH=build/python scripts/bench-python.py --model small-cnn --mode ste --repeats 3 --out results/python-bench
"""
import argparse
import os
import statistics
import sys

# As the program does for itself (src/common/threads.h): passive OpenMP waiting and OpenBLAS's shortest
# thread timeout, read when the libraries load, i.e. before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

import json  # noqa: E402
import pathlib  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "build" / "python"))
import cimtrain  # noqa: E402

SHAPES = {"small-cnn": (1, 28, 10), "resnet20": (3, 32, 10), "resnet18": (3, 32, 10)}


def python_steps(args, threads):
    channels, size, classes = SHAPES[args.model]
    torch.manual_seed(args.seed)
    model = cimtrain.models.by_name(args.model, channels, classes)
    model = cimtrain.convert_to_analog(model, cimtrain.ChipConfig.preset(args.preset), mode=args.mode, level=args.level,
                                       inplace=True, seed=args.seed)
    context = cimtrain.contexts_of(model)[0]
    gen = torch.Generator().manual_seed(args.seed)
    x = (torch.randint(256, (args.batch, channels, size, size), generator=gen).float() / 255 - 0.5) / 0.25
    y = torch.randint(classes, (args.batch,), generator=gen)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
    model.train()
    times = []
    for step in range(args.warmup + args.steps):
        t = time.perf_counter()
        context.reseed(step)
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        loss.item()
        if step >= args.warmup:
            times.append(time.perf_counter() - t)
    return times


def cli_median_step(args, threads):
    out = subprocess.run([str(ROOT / "build" / "cimtrain"), "--threads", str(threads), "bench", "--model", args.model,
                          "--modes", args.mode, "--batch", str(args.batch), "--steps", str(args.steps), "--warmup",
                          str(args.warmup), "--preset", args.preset, "--level", str(args.level), "--seed",
                          str(args.seed), "--no-breakdown", "--json", "--out", str(args.out / "cli")],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["modes"][args.mode]["step_s_median"]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="small-cnn", choices=sorted(SHAPES))
    p.add_argument("--mode", default="ste", choices=cimtrain.GRADIENT_MODES)
    p.add_argument("--preset", default="rram")
    p.add_argument("--level", type=float, default=1.0)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="0: the machine's cores (as the program)")
    p.add_argument("--out", type=pathlib.Path, default=ROOT / "results" / "python-bench")
    args = p.parse_args()
    if args.steps < 1 or args.repeats < 1 or args.warmup < 0:
        p.error("--steps and --repeats must be >= 1 and --warmup >= 0")
    args.out.mkdir(parents=True, exist_ok=True)
    threads = cimtrain.set_threads(args.threads)
    cli, py = [], []  # per repeat: the median step of its timed steps
    for r in range(args.repeats):
        cli.append(cli_median_step(args, threads))
        py.append(statistics.median(python_steps(args, threads)))
        print(f"repeat {r + 1}/{args.repeats}: program {cli[-1]:.4f} s, python {py[-1]:.4f} s per step",
              file=sys.stderr)
    result = {"model": args.model, "mode": args.mode, "preset": args.preset, "level": args.level, "batch": args.batch,
              "steps": args.steps, "repeats": args.repeats, "threads": threads,
              "cli_step_s_median": statistics.median(cli), "python_step_s_median": statistics.median(py),
              "ratio_python_over_cli": statistics.median(py) / statistics.median(cli),
              "cli_step_s_per_repeat": cli, "python_step_s_per_repeat": py, "command": " ".join(["scripts/bench-python.py"] + sys.argv[1:])}
    (args.out / "bench.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "bench.md").write_text(
        f"# Python loop vs the program's step: {args.model}, {args.mode}, batch {args.batch}, {threads} threads\n\n"
        f"`{result['command']}`\n\n| step | median s |\n|---|---|\n"
        f"| cimtrain bench | {result['cli_step_s_median']:.4f} |\n| Python loop | {result['python_step_s_median']:.4f} |\n"
        f"| ratio Python / program | {result['ratio_python_over_cli']:.3f} |\n")
    print(json.dumps({k: v for k, v in result.items() if not k.endswith("per_repeat")}, indent=2))


if __name__ == "__main__":
    main()
