#!/usr/bin/python3
"""A device effect of your own, written in Python, inside the simulated chip: a conductance hook receives every
programmed instance's conductances (uS, [slices, 2, rows, outputs]: after programming noise, before drift) and
returns the perturbed ones. Here: bit lines with a defective driver (a random 5% of the columns of each
instance conduct 30% less) and a cell-to-cell variation that grows with the conductance. The small CNN is
trained in float on Fashion-MNIST, fine-tuned through the perturbed chip with the STE, and both are evaluated on
instances of that chip.

    PYTHONPATH=build/python examples/python/custom_noise.py --float-epochs 2 --ste-epochs 1 --instances 5
"""
import argparse
import pathlib
import sys

import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "build" / "python"))
import cimtrain  # noqa: E402


class WeakBitLines:
    """The user's perturbation. Its own generator: the chip's random stream is left as it is."""

    def __init__(self, fraction=0.05, loss=0.3, extra_sigma=0.05, g_max_uS=50.0, seed=0):
        self.fraction, self.loss, self.extra_sigma, self.g_max_uS = fraction, loss, extra_sigma, g_max_uS
        self.gen = torch.Generator().manual_seed(seed)

    def __call__(self, g_uS):
        weak = torch.rand(g_uS.shape[-1], generator=self.gen) < self.fraction  # per output column
        g = g_uS * torch.where(weak, 1 - self.loss, 1.0)
        variation = 1 + self.extra_sigma * (g / self.g_max_uS) * torch.randn(g.shape, generator=self.gen)
        return (g * variation).clamp_min(0)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--float-epochs", type=int, default=2)
    p.add_argument("--ste-epochs", type=int, default=1)
    p.add_argument("--train-limit", type=int, default=None)
    p.add_argument("--test-limit", type=int, default=2000)
    p.add_argument("--instances", type=int, default=5)
    p.add_argument("--level", type=float, default=2.0)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    cimtrain.set_threads(0)
    torch.manual_seed(args.seed)
    x_train, y_train = cimtrain.data.load_images("fashion-mnist", "train", args.train_limit)
    x_test, y_test = cimtrain.data.load_images("fashion-mnist", "test", args.test_limit)
    test = list(cimtrain.data.batches(x_test, y_test, 256))

    def fit(model, epochs, lr):
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        gen = torch.Generator().manual_seed(args.seed)
        model.train()
        for _ in range(epochs):
            for x, y in cimtrain.data.batches(x_train, y_train, 128, shuffle=True, generator=gen):
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(x), y).backward()
                opt.step()

    model = cimtrain.models.SmallCnn(1, 10)
    fit(model, args.float_epochs, 0.05)
    chip = cimtrain.ChipConfig.preset("rram")
    hook = WeakBitLines(g_max_uS=chip.mapping.g_max_uS, seed=args.seed)
    analog = cimtrain.convert_to_analog(model, chip, mode="ste", level=args.level, conductance_hook=hook)
    evaluate = lambda m: cimtrain.evaluate_on_chips(m, test, levels=[args.level], instances=args.instances,
                                                    seed=args.seed, calibration=x_train[:512], progress=False)[0]
    before = evaluate(analog)
    fit(analog, args.ste_epochs, 0.005)  # every training forward programs a fresh chip: the hook acts each time
    after = evaluate(analog)
    print(f"float accuracy {100 * cimtrain.accuracy(model, test):.2f}%; on the chip with weak bit lines at level "
          f"{args.level}: {100 * before['mean']:.2f} +- {100 * before['std']:.2f}% float-trained, "
          f"{100 * after['mean']:.2f} +- {100 * after['std']:.2f}% after STE fine-tuning through it")


if __name__ == "__main__":
    main()
