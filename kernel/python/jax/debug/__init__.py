"""`jax.debug`: printing values and showing how arrays are sharded."""

import builtins

from jax._src.array import Array, Tracer


def print(fmt, *args, ordered=False, **kwargs):  # noqa: A001
    """Prints `fmt.format(*args, **kwargs)` with the arrays' values."""
    values = list(args) + list(kwargs.values())
    if any(isinstance(v, Tracer) for v in values):
        raise NotImplementedError("jax.debug.print of traced values (inside jit, vmap or grad) is not supported yet in jaxnb; print outside the transformation")
    builtins.print(fmt.format(*args, **kwargs))


_PLATFORM_LABEL = {"cpu": "CPU", "webgpu": "GPU"}


def _tiles(arr):
    """[(device ids, ranges)] — one tile per distinct block, with every device holding it."""
    from jax._src.bridge import B

    order, holders, platform = [], {}, "cpu"
    for plat, dev_id, ranges in B.shardingTiles(arr._handle()):
        platform = str(plat)
        key = tuple((int(a), int(b)) for a, b in ranges)
        if key not in holders:
            holders[key] = []
            order.append(key)
        holders[key].append(int(dev_id))
    return [(holders[k], k) for k in order], _PLATFORM_LABEL.get(platform, platform.upper())


def _text_grid(tiles, ndim, kind):
    """JAX's box drawing: a row of cells for 1-D arrays, a grid for 2-D ones."""
    def start(rng, d):
        return rng[d][0] if len(rng) > d else 0

    rows = sorted({start(r, 0) for _, r in tiles}) if ndim == 2 else [0]
    cols = sorted({start(r, ndim - 1) for _, r in tiles}) if ndim >= 1 else [0]
    cell = {}
    for devs, r in tiles:
        row = rows.index(start(r, 0)) if ndim == 2 else 0
        col = cols.index(start(r, ndim - 1)) if ndim >= 1 else 0
        cell[(row, col)] = f"{kind} {','.join(map(str, devs))}"
    width = max(7, max(len(v) for v in cell.values()) + 4)
    pad = 1 if ndim == 2 else 0

    def line(left, mid, right, fill="─"):
        return left + mid.join(fill * width for _ in cols) + right

    out = [line("┌", "┬", "┐")]
    for i in range(len(rows)):
        blank = "│" + "│".join(" " * width for _ in cols) + "│"
        out += [blank] * pad
        out.append("│" + "│".join(cell.get((i, j), "").center(width) for j in range(len(cols))) + "│")
        out += [blank] * pad
        out.append(line("├", "┼", "┤") if i < len(rows) - 1 else line("└", "┴", "┘"))
    return "\n".join(out)


def visualize_array_sharding(arr, *, use_color=True, scale=1.0, min_width=9, max_width=80, color_map=None):
    """Shows which device holds each piece of `arr`: a box grid (text) and, in notebooks, a
    coloured grid (`application/vnd.jaxnb.sharding+json`)."""
    from _jaxnb.display import display

    if not isinstance(arr, Array):
        raise TypeError(f"visualize_array_sharding expects a jax.Array, got {type(arr).__name__}")
    if arr.ndim > 2:
        raise ValueError(f"`visualize_sharding` only works for shapes with 1 and 2 dimensions. Got shape {arr.shape}")
    tiles, kind = _tiles(arr)
    sharding = arr.sharding
    mesh = getattr(sharding, "mesh", None)
    spec = getattr(sharding, "spec", ())
    ids = sorted({d for devs, _ in tiles for d in devs})
    data = {
        "shape": list(arr.shape),
        "mesh": {"axis_names": list(mesh.axis_names), "shape": list(mesh.axis_sizes)} if mesh is not None else {"axis_names": [], "shape": []},
        "spec": [list(p) if isinstance(p, tuple) else p for p in spec],
        "devices": [f"{kind} {i}" for i in range(max(ids) + 1)],
        "tiles": [{"device": devs if len(devs) > 1 else devs[0], "index": [list(r) for r in rng]} for devs, rng in tiles],
    }
    display({"application/vnd.jaxnb.sharding+json": data, "text/plain": _text_grid(tiles, arr.ndim, kind)}, raw=True)


def callback(fn, *args, **kwargs):
    values = list(args) + list(kwargs.values())
    if any(isinstance(v, Tracer) for v in values):
        raise NotImplementedError("jax.debug.callback with traced values is not supported yet in jaxnb")
    fn(*args, **kwargs)
