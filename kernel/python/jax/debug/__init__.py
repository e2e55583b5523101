"""`jax.debug`: printing values and showing how arrays are sharded."""

import builtins
import json

from jax._src.array import Array, Tracer
from jax._src.bridge import B


def print(fmt, *args, ordered=False, **kwargs):  # noqa: A001
    """Prints `fmt.format(*args, **kwargs)` with the arrays' values."""
    values = list(args) + list(kwargs.values())
    if any(isinstance(v, Tracer) for v in values):
        raise NotImplementedError("jax.debug.print of traced values (inside jit, vmap or grad) is not supported yet in jaxnb; print outside the transformation")
    builtins.print(fmt.format(*args, **kwargs))


def visualize_array_sharding(arr, *, use_color=True, scale=1.0, min_width=9, max_width=80, color_map=None):
    """Shows which device holds each piece of `arr`: a box grid (text) and, in notebooks, a
    coloured grid (`application/vnd.jaxnb.sharding+json`)."""
    from _jaxnb.display import display

    if not isinstance(arr, Array):
        raise TypeError(f"visualize_array_sharding expects a jax.Array, got {type(arr).__name__}")
    if not 1 <= arr.ndim <= 2:
        raise ValueError("`visualize_sharding` only works for shapes with 1 and 2 dimensions.")
    # The text is JAX's rich table without colours (cells sized from the blocks as JAX sizes them);
    # the data is what the notebook renderer draws (kernel/sharding/visualize.ts).
    h = arr._handle()
    text = str(B.shardingText(h, float(scale), int(min_width), int(max_width)))
    data = json.loads(str(B.shardingData(h)))
    display({"application/vnd.jaxnb.sharding+json": data, "text/plain": text}, raw=True)


def callback(fn, *args, **kwargs):
    values = list(args) + list(kwargs.values())
    if any(isinstance(v, Tracer) for v in values):
        raise NotImplementedError("jax.debug.callback with traced values is not supported yet in jaxnb")
    fn(*args, **kwargs)
