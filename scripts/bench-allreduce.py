#!/usr/bin/python3
"""The communication of one data-parallel training step (issue 20), alone: two ranks on 127.0.0.1 joined by the
same c10d Gloo backend of the same libtorch_cpu.so the program links (Debian's python3-torch is that build),
all-reducing what `dist::sum_gradients` sends (the model's gradients, flattened in buckets of at most 16 MiB), what
`dist::average_buffers` sends (BatchNorm running means and variances, here as one tensor, without the program's
concatenation and division) and the per-step totals (4 float32 here, 4 doubles in the program: one latency-bound
message either way). Python's Gloo group has 2 threads, the program's 1.

Parameter counts are those of the program's models (src/models/resnet.cpp: 3x3 convolutions without bias,
BatchNorm weight and bias, 1x1 projection shortcuts, a linear head). Medians over --steps x --repeats steps.
  /usr/bin/python3 scripts/bench-allreduce.py [--steps 20] [--repeats 3] [--out results/bench-distributed]
Writes OUT/allreduce.{json,md}. Run it on a quiet machine (the loopback's figure is a floor: a real network adds
its bandwidth and latency; docs/distributed.md scales these to a network on paper).
"""
import argparse
import json
import os
import socket
import statistics
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

BUCKET_BYTES = 16 << 20  # as src/dist/module_sync.cpp


def resnet_parameters(widths, blocks, classes=10, in_channels=3):
    """(the sizes of the parameters in registration order, BatchNorm buffer floats) of the program's ResNet."""
    sizes = [9 * in_channels * widths[0], widths[0], widths[0]]  # stem, stem_bn weight and bias
    buffers = 2 * widths[0]
    c = widths[0]
    for stage, (w, n) in enumerate(zip(widths, blocks)):
        for b in range(n):
            sizes += [9 * c * w, w, w, 9 * w * w, w, w]  # conv1, bn1, conv2, bn2
            buffers += 4 * w
            if (stage > 0 and b == 0) or c != w:  # stride 2 or a change of width: a 1x1 projection
                sizes += [c * w, w, w]
                buffers += 2 * w
            c = w
    sizes += [c * classes, classes]
    return sizes, buffers


MODELS = {"resnet20": resnet_parameters([16, 32, 64], [3, 3, 3]),
          "resnet18": resnet_parameters([64, 128, 256, 512], [2, 2, 2, 2])}


def packed(sizes):
    """Whole tensors packed greedily into buckets of at most BUCKET_BYTES, as dist::sum_gradients packs them."""
    out, bucket, nbytes = [], [], 0
    for n in sizes:
        if bucket and nbytes + 4 * n > BUCKET_BYTES:
            out.append(bucket)
            bucket, nbytes = [], 0
        bucket.append(n)
        nbytes += 4 * n
    return out + [bucket]


def timed_steps(groups, steps):
    """Seconds of each step: every group of tensors flattened, all-reduced (one all-reduce each) and copied back,
    as dist::sum_gradients and dist::average_buffers do in a training step."""
    out = []
    for _ in range(steps):
        dist.barrier()
        t0 = time.perf_counter()
        for tensors in groups:
            flat = torch.cat([t.reshape(-1) for t in tensors])
            dist.all_reduce(flat)
            offset = 0
            for t in tensors:
                t.copy_(flat[offset:offset + t.numel()].view_as(t))
                offset += t.numel()
        out.append(time.perf_counter() - t0)
    return out


def rank_main(rank, world, port, steps, repeats, queue):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    result = {}
    for repeat in range(repeats):
        for name, (sizes, buffers) in MODELS.items():
            grads = [[torch.ones(n) for n in bucket] for bucket in packed(sizes)]
            bn = [[torch.ones(buffers)]]
            totals = [[torch.ones(4)]]
            timed_steps(grads, 2)  # warm-up: connections and buffers
            for what, tensors in (("gradients", grads), ("batchnorm_buffers", bn), ("step_totals", totals)):
                result.setdefault(f"{name}/{what}", []).extend(timed_steps(tensors, steps))
    if rank == 0:
        queue.put(result)
    dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_atomically(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default="results/bench-distributed")
    args = parser.parse_args()
    if args.steps < 10 or args.repeats < 3:
        parser.error(f"expected --steps >= 10 and --repeats >= 3 (medians of enough steps), found {args.steps}, {args.repeats}")
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    port = free_port()
    procs = [ctx.Process(target=rank_main, args=(r, 2, port, args.steps, args.repeats, queue)) for r in range(2)]
    for p in procs:
        p.start()
    result = queue.get(timeout=600)
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"a rank failed with exit code {p.exitcode}")
    report = {"command": f"/usr/bin/python3 scripts/bench-allreduce.py --steps {args.steps} --repeats {args.repeats}",
              "torch": torch.__version__, "ranks": 2, "address": "127.0.0.1", "bucket_bytes": BUCKET_BYTES, "models": {}}
    rows = []
    for name, (sizes, buffers) in MODELS.items():
        params = sum(sizes)
        entry = {"gradient_floats": params, "gradient_buckets": len(packed(sizes)), "batchnorm_buffer_floats": buffers}
        for what in ("gradients", "batchnorm_buffers", "step_totals"):
            seconds = result[f"{name}/{what}"]
            entry[what + "_median_s"] = statistics.median(seconds)
            entry[what + "_seconds"] = seconds
        report["models"][name] = entry
        rows.append(f"| {name} | {params:,} ({params * 4 / 1e6:.1f} MB, {entry['gradient_buckets']} bucket(s)) | "
                    f"{entry['gradients_median_s'] * 1e3:.2f} | {buffers:,} | {entry['batchnorm_buffers_median_s'] * 1e3:.3f} | "
                    f"{entry['step_totals_median_s'] * 1e3:.3f} |")
    os.makedirs(args.out, exist_ok=True)
    write_atomically(os.path.join(args.out, "allreduce.json"), json.dumps(report, indent=2) + "\n")
    md = (f"# The communication of one data-parallel step, two ranks on 127.0.0.1 (Gloo, torch {torch.__version__})\n\n"
          f"`{report['command']}`: medians over {args.steps} x {args.repeats} steps, one thread per rank.\n\n"
          "| model | gradient floats | gradient all-reduce ms/step | BatchNorm buffer floats | buffers ms/step | step totals ms |\n"
          "|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n")
    write_atomically(os.path.join(args.out, "allreduce.md"), md)
    print(md)


if __name__ == "__main__":
    main()
