"""What every transformation does with Python functions: argnums and static arguments,
flattening arguments to runtime handles, and turning a Python function of pytrees into a
function of flat handle lists that the runtime can trace."""

import inspect
import math

from pyodide.ffi import create_proxy, to_js

from . import tree_util
from .array import Array, Float0Array, from_js, to_value


def ensure_tuple(x):
    if x is None:
        return ()
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def fun_name(fun):
    return getattr(fun, "__name__", None) or type(fun).__name__


def fun_location(fun):
    code = getattr(inspect.unwrap(fun), "__code__", None)
    return f"{code.co_filename}:{code.co_firstlineno}" if code is not None else None


def normalize_argnums(argnums, nargs, what):
    out = []
    for i in ensure_tuple(argnums):
        if not isinstance(i, int):
            raise TypeError(f"{what} must be an int or a tuple of ints, got {argnums!r}")
        if not -nargs <= i < nargs:
            raise ValueError(
                f"{what}={argnums!r} but the function was called with only {nargs} positional argument{'s' if nargs != 1 else ''}"
            )
        out.append(i % nargs)
    return tuple(out)


def leaf_value(x, what="argument"):
    """A pytree leaf as a runtime value; non-array leaves are JAX's TypeError."""
    if isinstance(x, Float0Array):
        return x._handle()
    try:
        return to_value(x)
    except TypeError:
        raise TypeError(f"{what} {x!r} of type {type(x)} is not a valid JAX type") from None


def leaf_aval_key(x):
    """The part of a cache key a leaf contributes: its shape, dtype and weak type."""
    if isinstance(x, Array):
        return (x.shape, x.dtype.name, x.weak_type)
    return (type(x).__name__, ())


class FlatFun:
    """`fun` as a function of flat handles: unflattens its inputs, calls it, flattens its outputs
    and remembers their tree. A proxy for the runtime to call is made on demand."""

    def __init__(self, fun, in_tree, rebuild=None, has_aux=False):
        self.fun = fun
        self.in_tree = in_tree
        self.rebuild = rebuild
        self.has_aux = has_aux
        self.out_tree = None
        self.aux_tree = None
        #: With has_aux, outputs are the function's leaves then the aux leaves; this many are outputs.
        self.num_out = None
        self._proxy = None

    def __call__(self, *handles):
        leaves = [from_js(h) for h in handles]
        args = tree_util.tree_unflatten(self.in_tree, leaves)
        out = self.fun(*args) if self.rebuild is None else self.rebuild(args)
        aux_leaves = []
        if self.has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                got = f"a tuple of length {len(out)}" if isinstance(out, (tuple, list)) else type(out).__name__
                raise TypeError(f"expected function with aux output to return a two-element tuple, but got {got}")
            out, aux = out
            aux_leaves, self.aux_tree = tree_util.tree_flatten(aux)
        out_leaves, self.out_tree = tree_util.tree_flatten(out)
        self.num_out = len(out_leaves)
        what = f"output of {fun_name(self.fun)}"
        return [leaf_value(x, what) for x in out_leaves] + [leaf_value(x, f"auxiliary {what}") for x in aux_leaves]

    def split(self, outs):
        """(outputs pytree, aux pytree or None) from the flat results."""
        out = tree_util.tree_unflatten(self.out_tree, outs[: self.num_out])
        if not self.has_aux:
            return out, None
        return out, tree_util.tree_unflatten(self.aux_tree, outs[self.num_out:])

    def proxy(self):
        """A handle the runtime can keep and call later (released with this object)."""
        if self._proxy is None:
            self._proxy = create_proxy(self)
        return self._proxy

    def __del__(self):
        if self._proxy is not None:
            try:
                self._proxy.destroy()
            except Exception:  # noqa: BLE001 — finalizers never raise
                pass


def js_list(xs):
    return to_js(list(xs))


def prod(shape):
    return math.prod(shape)
