"""`jax.debug`: printing values and calling back into Python from inside transformations, and
showing how arrays are sharded."""

import functools
import json
import string
import sys

from pyodide.ffi import create_proxy

from jax._src import tree_util
from jax._src.api_util import js_list
from jax._src.array import Array, from_js, to_value
from jax._src.bridge import B


def _is_dynamic(x):
    """A leaf the callback receives as an array (JAX stages anything it can abstractify)."""
    return isinstance(x, (Array, bool, int, float))


def debug_callback(callback, args, kwargs, ordered, partitioned):
    """Binds the runtime's `debug_callback` primitive: array leaves of `(args, kwargs)` are its
    operands, the other leaves are static and merged back when the callback is called."""
    leaves, tree = tree_util.tree_flatten((args, kwargs))
    static = {i: x for i, x in enumerate(leaves) if not _is_dynamic(x)}
    dynamic = [to_value(x) for x in leaves if _is_dynamic(x)]

    def _flat_callback(*handles):
        values = iter(from_js(h) for h in handles)
        merged = [static[i] if i in static else next(values) for i in range(len(leaves))]
        c_args, c_kwargs = tree_util.tree_unflatten(tree, merged)
        callback(*c_args, **c_kwargs)

    # JAX prints the callback's repr with its address masked (`at 0xXXXXXXXXXXXX`).
    name = f"<function {_flat_callback.__qualname__} at 0x{'X' * 12}>"
    B.debugCallback(create_proxy(_flat_callback), name, bool(ordered), bool(partitioned), js_list(dynamic))


def _call_or_return(call, name, first, args, kwargs):
    """The one-call form calls now; the two-call form (`f(ordered=True)(...)`) returns `call`."""
    if first is not None:
        call(first, *args, **kwargs)
        return None
    if args or kwargs:
        raise TypeError(f"{name} received unexpected arguments in the two-call form: {args=} {kwargs=}")
    return call


def callback(callback=None, *args, ordered=False, partitioned=False, **kwargs):
    """Calls `callback(*args, **kwargs)` with the arrays' values, also inside jit, vmap and grad
    (JAX's `jax.debug.callback`); `callback(ordered=True)` gives the two-call form."""

    def call(cb, *c_args, **c_kwargs):
        if not callable(cb):
            raise TypeError(f"first argument to jax.debug.callback must be callable, but got an object of type {type(cb)}")
        debug_callback(cb, c_args, c_kwargs, ordered, partitioned)

    return _call_or_return(call, "debug_callback", callback, args, kwargs)


class _FormatChecker(string.Formatter):
    """JAX's check that every argument of `jax.debug.print` is used by the format string."""

    def format_field(self, value, format_spec):
        return ""

    def check_unused_args(self, used_args, args, kwargs):
        unused_args = [arg for i, arg in enumerate(args) if i not in used_args]
        unused_kwargs = [k for k in kwargs if k not in used_args]
        if unused_args:
            raise ValueError(f"Unused positional arguments to `jax.debug.print`: {unused_args}")
        if unused_kwargs:
            raise ValueError(
                f"Unused keyword arguments to `jax.debug.print`: {unused_kwargs}. "
                "You may be passing an f-string (i.e, `f\"{x}\"`) into "
                "`jax.debug.print` and instead should pass in a regular string."
            )


def _print_callback(fmt, skip_format_check, *args, **kwargs):
    if skip_format_check and not any(True for _, field, _, _ in string.Formatter().parse(fmt) if field is not None):
        msg = " ".join((fmt, *(str(a) for a in args)))
    else:
        msg = fmt.format(*args, **kwargs)
    sys.stdout.write(msg + "\n")


def print(fmt=None, *args, ordered=False, partitioned=False, skip_format_check=False, **kwargs):  # noqa: A001
    """Prints `fmt.format(*args, **kwargs)` with the arrays' values when the program runs: at
    once eagerly, at every call under jit, per batch element under vmap (JAX's
    `jax.debug.print`); `print(ordered=True)` gives the two-call form."""

    def call(c_fmt, *c_args, **c_kwargs):
        if not skip_format_check:
            _FormatChecker().format(c_fmt, *c_args, **c_kwargs)
        cb = functools.partial(_print_callback, c_fmt, skip_format_check)
        debug_callback(cb, c_args, c_kwargs, ordered, partitioned)

    return _call_or_return(call, "debug_print", fmt, args, kwargs)


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
