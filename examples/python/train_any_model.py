#!/usr/bin/python3
"""Any PyTorch model on a simulated CIM chip: a torchvision ResNet-18 (adapted to 32 x 32 inputs) or a CNN of
your own is trained in float, converted with cimtrain.convert_to_analog, fine-tuned with the extended STE in an
ordinary PyTorch loop, and evaluated over chip instances at several noise levels.

    PYTHONPATH=build/python examples/python/train_any_model.py --model resnet18 --data cifar10 \
        --float-epochs 15 --ste-epochs 3 --level 2 --instances 10

CI runs it at a tiny budget (--train-limit 256 --test-limit 128 --float-epochs 1 --ste-epochs 1).
"""
import argparse
import json
import pathlib
import sys
import time

import torch
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "build" / "python"))
import cimtrain  # noqa: E402


class UserCnn(nn.Module):
    """A user's own network: residual blocks with BatchNorm inside a custom module."""

    def __init__(self, in_channels, num_classes, width=32):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width),
                                  nn.ReLU())
        self.body = nn.ModuleList([self._block(width) for _ in range(2)])
        self.head = nn.Linear(width, num_classes)

    @staticmethod
    def _block(c):
        return nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                             nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        x = self.stem(x)
        for block in self.body:
            x = torch.relu(x + block(x))
        return self.head(x.mean((2, 3)))


def make_model(name, in_channels, num_classes):
    if name == "custom":
        return UserCnn(in_channels, num_classes)
    import torchvision
    model = torchvision.models.resnet18(num_classes=num_classes)
    # CIFAR-sized inputs: a 3 x 3 stem at stride 1 and no max-pool, as is usual for 32 x 32 images.
    model.conv1 = nn.Conv2d(in_channels, 64, 3, padding=1, bias=False)
    model.maxpool = nn.Identity()
    return model


def train_epochs(model, images, labels, epochs, lr, batch, seed, augment):
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    steps = epochs * ((labels.shape[0] + batch - 1) // batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(steps, 1))
    gen = torch.Generator().manual_seed(seed)
    bar = cimtrain._C.ProgressBar("train", max(steps, 1), "steps")
    model.train()
    step = 0
    for _ in range(epochs):
        crop = (lambda x: cimtrain.data.random_crop_flip(x, generator=gen)) if augment else None
        for x, y in cimtrain.data.batches(images, labels, batch, shuffle=True, generator=gen, augment=crop):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            schedule.step()
            step += 1
            bar.update(step, f"loss {loss.item():.3f}")
    bar.finish()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="resnet18", choices=["resnet18", "custom"])
    p.add_argument("--data", default="cifar10", choices=["cifar10", "fashion-mnist"])
    p.add_argument("--preset", default="rram")
    p.add_argument("--level", type=float, default=2.0, help="chip noise level of the STE fine-tuning")
    p.add_argument("--levels", default="1,2,3", help="levels evaluated (comma separated)")
    p.add_argument("--instances", type=int, default=5, help="chip instances per level")
    p.add_argument("--float-epochs", type=int, default=2)
    p.add_argument("--ste-epochs", type=int, default=1)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--train-limit", type=int, default=None, help="train on the first N images (default all)")
    p.add_argument("--test-limit", type=int, default=None, help="evaluate on the first N test images")
    p.add_argument("--calibration", type=int, default=512, help="training images each chip is calibrated on")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=pathlib.Path, default=None, help="write results.json here")
    args = p.parse_args()
    cimtrain.set_threads(0)
    torch.manual_seed(args.seed)

    x_train, y_train = cimtrain.data.load_images(args.data, "train", args.train_limit)
    x_test, y_test = cimtrain.data.load_images(args.data, "test", args.test_limit)
    test = list(cimtrain.data.batches(x_test, y_test, 256))
    augment = args.data == "cifar10"
    model = make_model(args.model, x_train.shape[1], 10)
    start = time.time()
    train_epochs(model, x_train, y_train, args.float_epochs, args.lr, args.batch, args.seed, augment)
    float_accuracy = cimtrain.accuracy(model, test)

    chip = cimtrain.ChipConfig.preset(args.preset)
    analog = cimtrain.convert_to_analog(model, chip, mode="ste", level=args.level, seed=args.seed)
    levels = [float(v) for v in args.levels.split(",")]
    calibration = x_train[:args.calibration]
    before = cimtrain.evaluate_on_chips(analog, test, levels=levels, instances=args.instances, seed=args.seed,
                                        calibration=calibration)
    train_epochs(analog, x_train, y_train, args.ste_epochs, args.lr / 10, args.batch, args.seed + 1, augment)
    after = cimtrain.evaluate_on_chips(analog, test, levels=levels, instances=args.instances, seed=args.seed,
                                       calibration=calibration)
    print(f"{args.model} on {args.data}: float accuracy {100 * float_accuracy:.2f}%")
    print("level | float-trained on chip | after STE fine-tuning at level", args.level)
    for b, a in zip(before, after):
        print(f"{b['level']:5g} | {100 * b['mean']:6.2f} +- {100 * b['std']:.2f}% | "
              f"{100 * a['mean']:6.2f} +- {100 * a['std']:.2f}%")
    result = {"model": args.model, "data": args.data, "float_accuracy": float_accuracy, "before_ste": before,
              "after_ste": after, "wall_s": time.time() - start, "args": {k: str(v) for k, v in vars(args).items()}}
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
