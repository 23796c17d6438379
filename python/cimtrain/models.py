"""The cimtrain program's image models as plain PyTorch modules, with the C++ models' layer names and
registration order (a checkpoint's tensors load by name; chips program their layers in the same order):
SmallCnn ("small-cnn"), ResNet-20 and ResNet-18 (CIFAR ResNets, He et al. 2016). Plain nn.Conv2d / nn.Linear:
convert them with cimtrain.convert_to_analog like any model."""
from torch import nn
from torch.nn import functional as F


class SmallCnn(nn.Module):
    def __init__(self, in_channels=1, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, num_classes)

    def forward(self, images):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(images))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = F.adaptive_avg_pool2d(x, (7, 7)).flatten(1)
        return self.fc2(F.relu(self.fc1(x)))


class BasicBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = self.shortcut_bn = None
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)
            self.shortcut_bn = nn.BatchNorm2d(out_channels)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (self.shortcut_bn(self.shortcut(x)) if self.shortcut is not None else x))


class ResNet(nn.Module):
    def __init__(self, in_channels, num_classes, widths, blocks):
        super().__init__()
        self.stem = nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(widths[0])
        c = widths[0]
        self.block_names = []
        for stage, (width, count) in enumerate(zip(widths, blocks)):
            for b in range(count):
                name = f"layer{stage + 1}_{b}"
                self.add_module(name, BasicBlock(c, width, 2 if stage > 0 and b == 0 else 1))
                self.block_names.append(name)
                c = width
        self.fc = nn.Linear(c, num_classes)

    def forward(self, images):
        x = F.relu(self.stem_bn(self.stem(images)))
        for name in self.block_names:
            x = getattr(self, name)(x)
        return self.fc(F.adaptive_avg_pool2d(x, (1, 1)).flatten(1))


def resnet20(in_channels=3, num_classes=10):
    return ResNet(in_channels, num_classes, [16, 32, 64], [3, 3, 3])


def resnet18(in_channels=3, num_classes=10):
    return ResNet(in_channels, num_classes, [64, 128, 256, 512], [2, 2, 2, 2])


def by_name(name, in_channels, num_classes):
    """The model the program calls `name`: small-cnn, resnet20 or resnet18."""
    makers = {"small-cnn": SmallCnn, "resnet20": resnet20, "resnet18": resnet18}
    if name not in makers:
        raise ValueError(f"no Python copy of model '{name}' (models: {', '.join(makers)})")
    return makers[name](in_channels, num_classes)


def load_cimtrain_checkpoint(model, path):
    """Loads a cimtrain checkpoint's parameters and buffers (read and validated by the C++ library) into
    `model` by name: every tensor must match (strict), shapes included. Returns the checkpoint's record."""
    import json
    from . import _C
    tensors = _C.checkpoint_tensors(str(path))
    missing = set(model.state_dict()) - set(tensors)
    unexpected = set(tensors) - set(model.state_dict())
    if missing or unexpected:
        raise ValueError(f"checkpoint {path} does not fit this model: missing {sorted(missing)[:5]}, "
                         f"unexpected {sorted(unexpected)[:5]}")
    model.load_state_dict(tensors, strict=True)
    return json.loads(_C.checkpoint_meta(str(path)))
