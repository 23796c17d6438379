"""convert_to_analog / convert_to_digital on arbitrary models: nested containers and custom modules, weights
kept, layers excluded or configured, errors naming the layer; a torchvision ResNet-18 trains in ste mode."""
import pytest
import torch
from torch import nn

import cimtrain


class Block(nn.Module):  # a user's custom module with a residual connection and BatchNorm
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):
        return torch.relu(x + self.bn(self.conv(x)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())
        self.blocks = nn.ModuleList([Block(8), Block(8)])
        self.heads = nn.ModuleDict({"a": nn.Linear(8, 5), "b": nn.Linear(8, 3)})

    def forward(self, x):
        x = self.stem(x)
        for b in self.blocks:
            x = b(x)
        x = x.mean((2, 3))
        return torch.cat([self.heads["a"](x), self.heads["b"](x)], 1)


NAMES = ["stem.0", "blocks.0.conv", "blocks.1.conv", "heads.a", "heads.b"]


def test_every_linear_and_conv_is_converted_keeping_weights():
    torch.manual_seed(0)
    net = Net()
    x = torch.randn(2, 3, 8, 8)
    analog = cimtrain.convert_to_analog(net, cimtrain.ChipConfig.preset("rram"), mode="clean")
    assert [name for name, _ in cimtrain.analog_modules(analog)] == NAMES
    assert all(isinstance(m, nn.Conv2d) for m in (net.stem[0], net.blocks[0].conv))  # a copy by default
    assert torch.equal(analog(x), net(x))  # clean mode: the same model
    assert len(cimtrain.contexts_of(analog)) == 1
    cimtrain.set_mode(analog, "ste")
    assert not torch.equal(analog(x), net(x))
    back = cimtrain.convert_to_digital(analog)
    assert not cimtrain.analog_modules(back) and type(back.heads["a"]) is nn.Linear
    assert torch.equal(back(x), net(x))


def test_inplace_shares_parameters_with_an_existing_optimizer():
    net = Net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    same = cimtrain.convert_to_analog(net, inplace=True)
    assert same is net and isinstance(net.heads["a"], cimtrain.nn.AnalogLinear)
    before = net.heads["a"].weight.detach().clone()
    net(torch.randn(2, 3, 8, 8)).sum().backward()
    opt.step()
    assert not torch.equal(before, net.heads["a"].weight)


def test_exclude_and_layer_config():
    net = cimtrain.convert_to_analog(Net(), exclude=["first", "last", "blocks.1.conv"])
    assert [n for n, _ in cimtrain.analog_modules(net)] == ["blocks.0.conv", "heads.a"]
    with pytest.raises(ValueError, match="no Linear or Conv2d layer named 'nope'.*heads.a"):
        cimtrain.convert_to_analog(Net(), exclude=["nope"])
    pcm = cimtrain.ChipConfig.preset("pcm")
    net = cimtrain.convert_to_analog(Net(), layer_config=lambda name, m: None if name == "stem.0" else
                                     pcm if isinstance(m, nn.Linear) else cimtrain.ChipConfig.preset("rram"))
    assert [n for n, _ in cimtrain.analog_modules(net)] == NAMES[1:]
    contexts = cimtrain.contexts_of(net)
    assert [c.chip["preset"] for c in contexts] == ["rram", "pcm"]
    net.eval()
    cimtrain.program_chip(net, seed=3)
    assert torch.isfinite(net(torch.randn(2, 3, 8, 8))).all()


def test_a_layer_that_cannot_be_analog_is_named():
    model = nn.Sequential(nn.Conv2d(4, 4, 3, groups=2))
    with pytest.raises(ValueError, match="layer '0': AnalogConv2d supports groups=1 only"):
        cimtrain.convert_to_analog(model)
    assert cimtrain.convert_to_analog(model, exclude=["0"]) is not None


def test_torchvision_resnet18_converts_and_trains_a_step_in_ste_mode():
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    model = cimtrain.convert_to_analog(torchvision.models.resnet18(num_classes=10), mode="ste", level=2)
    assert len(cimtrain.analog_modules(model)) == 21  # 20 convolutions (3 of them shortcuts) and the classifier
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.randn(4, 3, 32, 32), torch.randint(0, 10, (4,))
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    before = model.fc.weight.detach().clone()
    opt.step()
    assert torch.isfinite(loss) and not torch.equal(before, model.fc.weight)
    assert model.conv1.weight.grad is not None and model.layer4[1].bn2.weight.grad is not None
