#!/usr/bin/env python3
"""oneDNN convolution time by memory layout (NCHW vs channels-last) in Debian's LibTorch, the build cimtrain
links (needs Debian's python3-torch: `apt-get install python3-torch`; run with /usr/bin/python3).
Prints the median of 20 runs per layout for ResNet-20's three 3x3 conv shapes at batch 128, 2 threads."""
import time

import torch

torch.set_num_threads(2)


def median_ms(f, n=20):
    f()
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return sorted(ts)[n // 2] * 1e3


for channels, size in [(16, 32), (32, 16), (64, 8)]:
    x = torch.randn(128, channels, size, size)
    w = torch.randn(channels, channels, 3, 3)
    xc, wc = x.contiguous(memory_format=torch.channels_last), w.contiguous(memory_format=torch.channels_last)
    nchw = median_ms(lambda: torch.conv2d(x, w, padding=1))
    nhwc = median_ms(lambda: torch.conv2d(xc, wc, padding=1))
    print(f"{channels:3d} channels, {size}x{size}: NCHW {nchw:.2f} ms, channels-last {nhwc:.2f} ms")
