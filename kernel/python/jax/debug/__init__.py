"""`jax.debug`: printing values and showing how arrays are sharded."""

import builtins

from jax._src.array import Array, Tracer


def print(fmt, *args, ordered=False, **kwargs):  # noqa: A001
    """Prints `fmt.format(*args, **kwargs)` with the arrays' values."""
    values = list(args) + list(kwargs.values())
    if any(isinstance(v, Tracer) for v in values):
        raise NotImplementedError("jax.debug.print of traced values (inside jit, vmap or grad) is not supported yet in jaxnb; print outside the transformation")
    builtins.print(fmt.format(*args, **kwargs))


def visualize_array_sharding(arr, *, use_color=True, scale=1.0, min_width=9, max_width=80, color_map=None):
    """Shows the devices holding each piece of `arr` as a grid (text, and a rich grid in notebooks)."""
    if not isinstance(arr, Array):
        raise TypeError(f"visualize_array_sharding expects a jax.Array, got {type(arr).__name__}")
    raise NotImplementedError("visualize_array_sharding needs jaxnb's sharding runtime (kernel/sharding), which this build does not have yet")


def callback(fn, *args, **kwargs):
    values = list(args) + list(kwargs.values())
    if any(isinstance(v, Tracer) for v in values):
        raise NotImplementedError("jax.debug.callback with traced values is not supported yet in jaxnb")
    fn(*args, **kwargs)
