"""Odds and ends of JAX's top-level API: device placement, waiting for results, `typeof`,
`disable_jit`, and names for profiling (which have no effect on values)."""

import contextlib

from . import tree_util
from .array import Array, Tracer, from_js, to_value
from .bridge import B
from .config import config


def _is_sharding(x):
    from jax import sharding

    return isinstance(x, sharding.Sharding)


def device_put(x, device=None, *, src=None, donate=False, may_alias=None):
    """Puts arrays (a pytree of them) on a device or with a sharding; Python values become arrays."""
    if device is not None and _is_sharding(device):
        from jax import sharding

        return tree_util.tree_map(lambda a: sharding.put(a, device), x)

    from .devices import Device

    if device is not None and not isinstance(device, Device):
        raise TypeError(f"device_put: device must be a Device or a Sharding, got {device!r}")

    def put(a):
        v = a._handle() if isinstance(a, Array) else to_value(a)
        if device is None:
            return a if isinstance(a, Array) else from_js(B.devicePut(v, None, None))
        return from_js(B.devicePut(v, device.platform, device.id))

    return tree_util.tree_map(put, x)


def device_get(x):
    """Arrays as Python values (nested lists and scalars; there is no NumPy in jaxnb)."""
    return tree_util.tree_map(lambda a: a.tolist() if isinstance(a, Array) else a, x)


def block_until_ready(x):
    """Waits until every array of the pytree is computed; returns it."""
    return tree_util.tree_map(lambda a: a.block_until_ready() if isinstance(a, Array) else a, x)


def typeof(x):
    """The abstract type of a value (`ShapedArray(float32[3])`; `float32[8@x,4]` when split over Explicit mesh axes)."""
    if isinstance(x, Array):
        from .sharded_types import typeof_array

        return typeof_array(x) if not isinstance(x, Tracer) else x.aval
    return from_js(to_value(x)).aval


@contextlib.contextmanager
def disable_jit(disable=True):
    """Runs jitted functions as plain Python (for debugging with print)."""
    old = config.jax_disable_jit
    config.update("jax_disable_jit", disable)
    try:
        yield
    finally:
        config.update("jax_disable_jit", old)


def named_call(fun, *, name=None):
    return fun


@contextlib.contextmanager
def named_scope(name):
    yield


def make_mesh(axis_shapes, axis_names, *, devices=None, axis_types=None):
    from jax import sharding

    return sharding.make_mesh(axis_shapes, axis_names, devices=devices, axis_types=axis_types)

