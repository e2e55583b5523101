#!/usr/bin/python3
"""The NumPy and PyTorch side of bench/run.ts: the same cases, timed the same way (warm-up, then
the median of repeats). Prints one JSON object on stdout: {"env": {...}, "runs": [...]}.
Usage: ref.py numpy|torch SIZES REPEATS"""
import json
import statistics
import sys
import time

import numpy as np


def timeit(fn, repeats):
    """Wall and CPU (all threads of the process) milliseconds of each repeat, after a warm-up."""
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        c, t = time.process_time(), time.perf_counter()
        fn()
        wall.append((time.perf_counter() - t) * 1e3)
        cpu.append((time.process_time() - c) * 1e3)
    return wall, cpu


def numpy_cases(sizes):
    def f(x):
        return np.exp(-x * x) * np.cos(np.exp(x * x))

    for n in sizes:
        x = np.linspace(-4, 4, n, dtype=np.float32)
        yield f"f n={n}", "eager", lambda x=x: f(x)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1024, 1024), dtype=np.float32)
    b = rng.standard_normal((1024, 1024), dtype=np.float32)
    yield "matmul 1024x1024", "eager", lambda: a @ b
    s = rng.standard_normal((4096, 1024), dtype=np.float32)

    def softmax(x):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    yield "softmax 4096x1024", "eager", lambda: softmax(s)


def torch_cases(sizes):
    import torch

    torch.set_num_threads(2)

    def f(x):
        return torch.exp(-x * x) * torch.cos(torch.exp(x * x))

    for n in sizes:
        x = torch.linspace(-4, 4, n, dtype=torch.float32)
        yield f"f n={n}", "eager", lambda x=x: f(x)

        def grad(x=x):
            xr = x.clone().requires_grad_(True)
            (g,) = torch.autograd.grad(f(xr).sum(), xr)
            return g

        yield f"vmap(grad(f)) n={n}", "autograd", grad
    g = torch.Generator().manual_seed(0)
    a = torch.randn(1024, 1024, generator=g)
    b = torch.randn(1024, 1024, generator=g)
    yield "matmul 1024x1024", "eager", lambda: a @ b
    s = torch.randn(4096, 1024, generator=g)
    yield "softmax 4096x1024", "eager", lambda: torch.softmax(s, dim=1)
    ws = [(torch.randn(1024, 1024, generator=g) * 0.03).requires_grad_(True) for _ in range(3)]
    bs = [torch.zeros(1024, requires_grad=True) for _ in range(3)]
    xb = torch.randn(1024, 1024, generator=g)
    yb = torch.randn(1024, 1024, generator=g)

    def mlp():
        h = torch.tanh(xb @ ws[0] + bs[0])
        h = torch.tanh(h @ ws[1] + bs[1])
        out = h @ ws[2] + bs[2]
        loss = ((out - yb) ** 2).mean()
        return torch.autograd.grad(loss, ws + bs)

    yield "mlp fwd+bwd 1024x1024", "autograd", mlp


def main():
    lib, sizes, repeats = sys.argv[1], [int(float(s)) for s in sys.argv[2].split(",")], int(sys.argv[3])
    env = {"lib": lib}
    if lib == "numpy":
        env["version"] = np.__version__
        try:
            from threadpoolctl import threadpool_info
            env["blas"] = [{k: i.get(k) for k in ("internal_api", "version", "architecture", "num_threads")} for i in threadpool_info()]
            if not env["blas"]:
                env["blas"] = "no OpenBLAS/MKL/BLIS loaded (Debian's reference BLAS: OPENBLAS_* variables do not apply)"
        except ImportError:
            env["blas"] = "threadpoolctl not installed"
        cases = numpy_cases(sizes)
    else:
        import torch
        env["version"] = torch.__version__
        env["threads"] = 2
        cases = torch_cases(sizes)
    runs = []
    for name, method, fn in cases:
        reps = max(3, repeats // 4) if "mlp" in name or "n=10000000" in name else repeats
        wall, cpu = timeit(fn, reps)
        runs.append({"case": name, "impl": lib, "method": method, "device": "cpu", "times_ms": wall, "median_ms": statistics.median(wall),
                     "cpu_ms": cpu, "median_cpu_ms": statistics.median(cpu)})
    print(json.dumps({"env": env, "runs": runs}))


if __name__ == "__main__":
    main()
