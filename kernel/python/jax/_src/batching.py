"""`jax.vmap` for Python functions: in_axes/out_axes are matched against the argument and
output pytrees here (JAX's flatten_axes); the runtime batches the flat function (kernel/batching)."""

import functools

from . import tree_util
from .api_util import FlatFun, fun_name, js_list, leaf_value
from .array import from_js
from .bridge import B


def _is_axis(x):
    return x is None or (isinstance(x, int) and not isinstance(x, bool))


def flatten_axes(name, treedef, axis_tree, kws=False):
    """The axis of each leaf of `treedef`, from `axis_tree`, a prefix of it (an int or None
    applies to a whole subtree)."""
    out = []

    def fail():
        raise ValueError(
            f"{name} specification must be a tree prefix of the corresponding value, got specification "
            f"{axis_tree!r} for value tree {treedef!r}."
        )

    def go(d, spec):
        if _is_axis(spec):
            out.extend([spec] * d.num_leaves)
            return
        got = tree_util._children(spec)
        if got is None or d.kind == "leaf":
            fail()
        kind, children, data = got
        if kind != d.kind or len(children) != len(d.children):
            fail()
        if kind == "dict" and data[0] != d.data[0]:
            fail()
        for cd, cs in zip(d.children, children):
            go(cd, cs)

    go(treedef, axis_tree)
    return out


def _check_spec(name, spec):
    for leaf in tree_util.tree_leaves(spec, is_leaf=lambda x: x is None):
        if not _is_axis(leaf):
            raise TypeError(f"vmap {name} must be an int, None, or (nested) container with those types as leaves, but got {spec}.")


def vmap(fun, in_axes=0, out_axes=0, axis_name=None, axis_size=None, spmd_axis_name=None):
    """Vectorizes `fun` over the axes `in_axes` of its arguments; results are stacked along `out_axes`."""
    if not callable(fun):
        raise TypeError(f"vmap requires a callable argument, got {fun!r}")
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if not (in_axes is None or type(in_axes) in (int, tuple)):
        raise TypeError(
            "vmap in_axes must be an int, None, or a tuple of entries corresponding to the positional "
            f"arguments passed to the function, but got {in_axes}."
        )
    _check_spec("in_axes", in_axes)
    _check_spec("out_axes", out_axes)

    def vmap_f(*args, **kwargs):
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise ValueError(
                "vmap in_axes must be an int, None, or a tuple of entries corresponding to the positional "
                f"arguments passed to the function, but got len(in_axes)={len(in_axes)}, len(args)={len(args)}"
            )
        leaves, in_tree = tree_util.tree_flatten((args, kwargs))
        spec = (in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args), {k: 0 for k in kwargs})
        dims = flatten_axes("vmap in_axes", in_tree, spec)
        flat = FlatFun(lambda a, k: fun(*a, **k), in_tree)
        outs = B.vmapCall(
            flat,
            js_list(dims),
            lambda n: js_list(flatten_axes("vmap out_axes", flat.out_tree, out_axes)),
            axis_size,
            axis_name,
            js_list(leaf_value(x) for x in leaves),
        )
        return tree_util.tree_unflatten(flat.out_tree, from_js(outs))

    functools.update_wrapper(vmap_f, fun)
    vmap_f.__name__ = f"vmap({fun_name(fun)})"
    return vmap_f
