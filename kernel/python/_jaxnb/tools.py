"""What the editor asks the kernel for, beyond running cells: derivative descriptions for hovers,
the functions of the namespace, and "JAX: Benchmark Function" (the post's four methods). Each
result is sent with `emit`, as a private MIME type the extension reads (never shown in a cell).
"""

import ast
import inspect
import json
import statistics
import sys
import time

from . import display

MIME_RESULT = "application/vnd.jaxnb.result+json"


def emit(value):
    display.display({MIME_RESULT: json.loads(json.dumps(value)), "text/plain": ""}, raw=True)


def _namespace():
    return sys.modules["__main__"].__dict__


def functions():
    """Names of the user's functions (what can be benchmarked or hovered)."""
    ns = _namespace()
    out = []
    for name, v in ns.items():
        if name.startswith("_") or not callable(v) or isinstance(v, type) or inspect.ismodule(v):
            continue
        mod = getattr(v, "__module__", None)
        if mod not in (None, "__main__"):
            continue
        out.append(name)
    return sorted(out)


def _resolve(name, cell_code):
    """The function named `name`: from the namespace, or traced from its cell's `def` alone."""
    ns = _namespace()
    f = ns.get(name)
    if callable(f):
        return f
    if cell_code:
        tree = ast.parse(cell_code)
        defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.Import, ast.ImportFrom))]
        scratch = {"__builtins__": ns.get("__builtins__", __builtins__), **{k: v for k, v in ns.items() if inspect.ismodule(v)}}
        exec(compile(ast.Module(body=defs, type_ignores=[]), "<hover>", "exec"), scratch)
        f = scratch.get(name)
        if callable(f):
            return f
    raise NameError(f"name '{name}' is not defined")


def _arg_names(f):
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]


def derivative(name, cell_code=""):
    """{name, formula: [lines], second?, jaxpr?, error?} for the hover over `name`."""
    from jax._src.api_util import FlatFun
    from jax._src.bridge import B
    from jax._src import tree_util

    try:
        f = _resolve(name, cell_code)
        names = _arg_names(f)
        n = max(1, len(names))
        _, in_tree = tree_util.tree_flatten(tuple(0.0 for _ in range(n)))
        flat = FlatFun(f, in_tree)
        return json.loads(B.describeDerivative(flat.proxy(), name, json.dumps(names)))
    except Exception as e:  # noqa: BLE001 — a hover shows the error as one line
        return {"name": name, "formula": [], "error": f"{type(e).__name__}: {e}".split("\n")[0]}


def _input(size, ns):
    import jax.numpy as jnp

    s = str(size).strip()
    if s.isdigit():
        return jnp.linspace(-4, 4, int(s))
    return jnp.asarray(eval(s, ns))  # an expression for the input, evaluated in the user's namespace


def _time(fn, x, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(x).block_until_ready()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def benchmark(name, size, backends, repeats=5):
    """The post's comparison: Baseline (eager), JIT, Sharding (eager on an input sharded over every
    device of the backend), Sharding + JIT, each after a warm-up run; medians in milliseconds."""
    import jax
    from jax.sharding import NamedSharding, PartitionSpec as P

    ns = _namespace()
    f = _resolve(name, "")
    x0 = _input(size, ns)
    runs, compile_ms = [], {}
    for backend in backends:
        devs = jax.devices(backend)
        x = jax.device_put(x0, devs[0])
        jf = jax.jit(f)
        f(x).block_until_ready()
        t0 = time.perf_counter()
        jf(x).block_until_ready()
        compile_ms[backend] = (time.perf_counter() - t0) * 1000
        mesh = jax.make_mesh((len(devs),), ("x",), devices=devs)
        if x.shape and x.shape[0] % len(devs) == 0:
            y = jax.device_put(x, NamedSharding(mesh, P("x")))
        else:
            y = jax.device_put(x, NamedSharding(mesh, P()))
        f(y).block_until_ready()
        jf(y).block_until_ready()
        for method, fn, arg, n in (("Baseline", f, x, 1), ("JIT", jf, x, 1), ("Sharding", f, y, len(devs)), ("Sharding + JIT", jf, y, len(devs))):
            times = _time(fn, arg, repeats)
            runs.append({"method": method, "backend": backend, "devices": n, "times_ms": times, "median_ms": statistics.median(times)})
    return {"function": name, "size": int(x0.size), "runs": runs, "compile_ms": compile_ms}
