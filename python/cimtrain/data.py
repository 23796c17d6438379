"""The image data sets, read by the C++ loaders from $CIMTRAIN_DATA (else the repository's data/) and
normalised exactly as the cimtrain program normalises them (a missing file is a DataError saying where to get
it), as tensors and as batches for an ordinary PyTorch loop."""
import torch

from . import _C


def dataset_names():
    return list(_C.image_dataset_names())


def load_images(name, split="test", limit=None, data_dir=""):
    """(images float32 [N, C, H, W] normalised with the data set's usual mean and std, labels int64 [N]) of
    the "train" or "test" split of `name` (cifar10, fashion-mnist); limit: the first N examples only."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', found {split!r}")
    if limit is not None and int(limit) < 1:
        raise ValueError(f"limit must be >= 1 examples (None: all), found {limit}")
    d = _C.image_dataset(name, split == "train", -1 if limit is None else int(limit), str(data_dir))
    return d["images"], d["labels"]



def batches(images, labels, batch_size=128, shuffle=False, generator=None, augment=None):
    """Yields (images, labels) batches in order (or shuffled by `generator`); augment(images) -> images is applied
    to each batch when given (e.g. random crops and flips for training)."""
    n = labels.shape[0]
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        x = images[idx]
        yield (augment(x) if augment else x), labels[idx]


def random_crop_flip(images, padding=4, generator=None):
    """CIFAR's usual augmentation: a random crop after zero padding, and a horizontal flip half of the time."""
    n, _, h, w = images.shape
    padded = torch.nn.functional.pad(images, (padding,) * 4)
    dy = torch.randint(0, 2 * padding + 1, (n,), generator=generator)
    dx = torch.randint(0, 2 * padding + 1, (n,), generator=generator)
    flip = torch.rand(n, generator=generator) < 0.5
    out = torch.empty_like(images)
    for i in range(n):
        crop = padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w]
        out[i] = crop.flip(-1) if flip[i] else crop
    return out
