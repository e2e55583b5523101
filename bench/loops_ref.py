#!/usr/bin/python3
"""The NumPy and PyTorch side of bench/loops.ts: the same loops, one Python iteration per step as
their users write them. Prints a JSON list of {"name", "us", "min_us", "cpu_us"} (median and best wall, median CPU microseconds per iteration).
Usage: loops_ref.py numpy|torch REPEATS"""
import json
import statistics
import sys
import time

import numpy as np

N = 1000


def timeit(fn, iters, repeats):
    """Median and best wall, median CPU (all threads) microseconds per iteration, after a warm-up."""
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        c, t = time.process_time(), time.perf_counter()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall) * 1e6 / iters, min(wall) * 1e6 / iters, statistics.median(cpu) * 1e6 / iters


def problem(xp):
    i = xp.arange(64 * 16, dtype=xp.float32)
    a = xp.sin(i * 0.37).reshape(64, 16)
    b = xp.linspace(-2, 2, 64, dtype=xp.float32)
    x0 = xp.linspace(-1, 1, N, dtype=xp.float32)
    return a, b, x0


def numpy_cases():
    a, b, x0 = problem(np)

    def gd():
        w = np.zeros(16, np.float32)
        for _ in range(1000):
            r = a @ w - b
            w = w - np.float32(0.01) * (a.T @ (np.float32(2 / 64) * r))
        return w

    def elementwise():
        v = x0
        for _ in range(1000):
            v = v * np.float32(0.999) + np.sin(v) * np.float32(0.001)
        return v

    def while_loop():
        k, v = 0, x0
        while (v * v).sum() > 1e-30:
            k, v = k + 1, v * np.float32(0.5)
        return v

    def cumsum():
        c, ys = np.float32(0), np.empty(N, np.float32)
        for i in range(N):
            c = c + x0[i]
            ys[i] = c
        return ys

    def cond_loop():
        v = x0
        for i in range(1000):
            v = v * np.float32(1.001) if i % 2 == 0 else v - np.float32(0.001)
        return v

    return gd, elementwise, while_loop, cumsum, cond_loop


def torch_cases():
    import torch

    torch.set_num_threads(2)
    a, b, x0 = problem(np)
    a, b, x0 = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(x0)

    def gd():
        w = torch.zeros(16, requires_grad=True)
        for _ in range(1000):
            loss = ((a @ w - b) ** 2).mean()
            (g,) = torch.autograd.grad(loss, w)
            w = (w - 0.01 * g).detach().requires_grad_(True)
        return w

    def elementwise():
        v = x0
        for _ in range(1000):
            v = v * 0.999 + torch.sin(v) * 0.001
        return v

    def while_loop():
        k, v = 0, x0
        while (v * v).sum() > 1e-30:
            k, v = k + 1, v * 0.5
        return v

    def cumsum():
        c, ys = torch.tensor(0.0), torch.empty(N)
        for i in range(N):
            c = c + x0[i]
            ys[i] = c
        return ys

    def cond_loop():
        v = x0
        for i in range(1000):
            v = v * 1.001 if i % 2 == 0 else v - 0.001
        return v

    return gd, elementwise, while_loop, cumsum, cond_loop


NAMES = [
    ("jit fori_loop gradient descent (64x16 least squares)", 1000),
    ("jit fori_loop elementwise (1000 floats)", 1000),
    ("jit while_loop data-dependent (1000 floats)", 55),
    ("jit scan cumulative sum (1000 steps)", 1000),
    ("jit fori_loop with cond (1000 floats)", 1000),
]

if __name__ == "__main__":
    lib, repeats = sys.argv[1], int(sys.argv[2])
    fns = numpy_cases() if lib == "numpy" else torch_cases()
    runs = []
    for (name, iters), fn in zip(NAMES, fns):
        us, min_us, cpu_us = timeit(fn, iters, repeats)
        runs.append({"name": name, "us": us, "min_us": min_us, "cpu_us": cpu_us})
    print(json.dumps(runs))
