"""`jax.lax`: the primitives with JAX's signatures, and structured control flow (`cond`,
`switch`, `fori_loop`, `while_loop`, `scan`, `map`, `associative_scan`) over Python functions.
Each call goes to the runtime's lax function of the same name (camelCase in TypeScript)."""

import contextlib

from js import Object
from pyodide.ffi import create_proxy, to_js

from jax._src import dtypes as _dtypes
from jax._src import tree_util as _tu
from jax._src.array import from_js as _from_js, to_value as _value
from jax._src.bridge import B as _B
from jax._src.api_util import leaf_value as _leaf


def _call(name, *args, opts=None):
    js_opts = to_js(opts, dict_converter=Object.fromEntries) if opts else None
    return _from_js(_B.lax(name, to_js(list(args)), js_opts))


def _ints(xs):
    return to_js([int(x) for x in xs])


def _vals(xs):
    return to_js([_value(x) for x in xs])


def _dtype(d):
    return _dtypes.dtype(d).name


def _unary(ts_name, py_name):
    def f(x, /):
        return _call(ts_name, _value(x))

    f.__name__ = py_name
    f.__doc__ = f"Elementwise {py_name} (the `{py_name}` primitive)."
    return f


def _binary(ts_name, py_name):
    def f(x, y, /):
        return _call(ts_name, _value(x), _value(y))

    f.__name__ = py_name
    f.__doc__ = f"Elementwise {py_name} (the `{py_name}` primitive)."
    return f


for _py, _ts in {
    "abs": "abs", "acos": "acos", "acosh": "acosh", "asin": "asin", "asinh": "asinh", "atan": "atan", "atanh": "atanh",
    "bitwise_not": "bitwiseNot", "cbrt": "cbrt", "ceil": "ceil", "cos": "cos", "cosh": "cosh", "digamma": "digamma",
    "erf": "erf", "erf_inv": "erfInv", "erfc": "erfc", "exp": "exp", "exp2": "exp2", "expm1": "expm1", "floor": "floor",
    "is_finite": "isFinite", "lgamma": "lgamma", "log": "log", "log1p": "log1p", "logistic": "logistic", "neg": "neg",
    "population_count": "populationCount", "reciprocal": "reciprocal", "rsqrt": "rsqrt", "sign": "sign", "sin": "sin",
    "sinh": "sinh", "sqrt": "sqrt", "square": "square", "tan": "tan", "tanh": "tanh",
}.items():
    globals()[_py] = _unary(_ts, _py)

for _py, _ts in {
    "add": "add", "atan2": "atan2", "bitwise_and": "bitwiseAnd", "bitwise_or": "bitwiseOr", "bitwise_xor": "bitwiseXor",
    "div": "div", "max": "max", "min": "min", "mul": "mul", "nextafter": "nextafter", "polygamma": "polygamma",
    "pow": "pow", "rem": "rem", "shift_left": "shiftLeft", "shift_right_arithmetic": "shiftRightArithmetic",
    "shift_right_logical": "shiftRightLogical", "sub": "sub", "eq": "eq", "ne": "ne", "lt": "lt", "le": "le",
    "gt": "gt", "ge": "ge",
}.items():
    globals()[_py] = _binary(_ts, _py)

bitwise_not = globals()["bitwise_not"]
not_ = bitwise_not


class RoundingMethod:
    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


def round(x, rounding_method=RoundingMethod.AWAY_FROM_ZERO):  # noqa: A001
    return _call("round", _value(x), int(rounding_method))


def integer_pow(x, y):
    return _call("integerPow", _value(x), int(y))


def clamp(min, x, max):  # noqa: A002
    return _call("clamp", _value(min), _value(x), _value(max))


def select(pred, on_true, on_false):
    return _call("select", _value(pred), _value(on_true), _value(on_false))


def select_n(which, *cases):
    return _call("selectN", _value(which), *[_value(c) for c in cases])


def stop_gradient(x):
    """The identity whose derivative is zero (applied to every leaf of a pytree)."""
    return _tu.tree_map(lambda a: _call("stopGradient", _value(a)), x)


# ---- types and shapes ------------------------------------------------------------------------


def convert_element_type(operand, new_dtype):
    return _call("convertElementType", _value(operand), _dtype(new_dtype))


def bitcast_convert_type(operand, new_dtype):
    return _call("bitcastConvertType", _value(operand), _dtype(new_dtype))


def broadcast_in_dim(operand, shape, broadcast_dimensions, out_sharding=None):
    return _call("broadcastInDim", _value(operand), _ints(shape), _ints(broadcast_dimensions))


def broadcast(operand, sizes, out_sharding=None):
    x = _from_js(_value(operand))
    n = len(sizes)
    return broadcast_in_dim(x, tuple(sizes) + tuple(x.shape), tuple(range(n, n + x.ndim)))


def reshape(operand, new_sizes, dimensions=None, out_sharding=None):
    x = operand
    if dimensions is not None:
        x = transpose(x, dimensions)
    return _call("reshape", _value(x), _ints(new_sizes))


def transpose(operand, permutation):
    return _call("transpose", _value(operand), _ints(permutation))


def squeeze(array, dimensions):
    return _call("squeeze", _value(array), _ints(dimensions))


def expand_dims(array, dimensions):
    return _call("expandDims", _value(array), _ints(dimensions))


def rev(operand, dimensions):
    return _call("rev", _value(operand), _ints(dimensions))


def iota(dtype, size, sharding=None):
    return _call("iota", _dtype(dtype), int(size))


def broadcasted_iota(dtype, shape, dimension, sharding=None):
    return _call("broadcastedIota", _dtype(dtype), _ints(shape), int(dimension))


def slice(operand, start_indices, limit_indices, strides=None):  # noqa: A001
    return _call("slice", _value(operand), _ints(start_indices), _ints(limit_indices), None if strides is None else _ints(strides))


def slice_in_dim(operand, start_index, limit_index, stride=1, axis=0):
    return _call("sliceInDim", _value(operand), start_index, limit_index, int(stride), int(axis))


def dynamic_slice(operand, start_indices, slice_sizes):
    return _call("dynamicSlice", _value(operand), _vals(start_indices), _ints(slice_sizes))


def dynamic_update_slice(operand, update, start_indices):
    return _call("dynamicUpdateSlice", _value(operand), _value(update), _vals(start_indices))


def dynamic_slice_in_dim(operand, start_index, slice_size, axis=0):
    x = _from_js(_value(operand))
    starts = [0] * x.ndim
    starts[axis] = start_index
    sizes = list(x.shape)
    sizes[axis] = slice_size
    return dynamic_slice(x, starts, sizes)


def dynamic_index_in_dim(operand, index, axis=0, keepdims=True):
    out = dynamic_slice_in_dim(operand, index, 1, axis)
    return out if keepdims else squeeze(out, (axis,))


def dynamic_update_slice_in_dim(operand, update, start_index, axis):
    x = _from_js(_value(operand))
    starts = [0] * x.ndim
    starts[axis] = start_index
    return dynamic_update_slice(x, update, starts)


def pad(operand, padding_value, padding_config):
    config = to_js([to_js([int(a), int(b), int(c)]) for a, b, c in padding_config])
    return _call("pad", _value(operand), _value(padding_value), config)


def concatenate(operands, dimension):
    return _call("concatenate", _vals(operands), int(dimension))


# ---- reductions and scans ---------------------------------------------------------------------


def _reduction(ts_name, py_name):
    def f(operand, axes):
        return _call(ts_name, _value(operand), _ints(axes))

    f.__name__ = py_name
    return f


reduce_sum = _reduction("reduceSum", "reduce_sum")
reduce_max = _reduction("reduceMax", "reduce_max")
reduce_min = _reduction("reduceMin", "reduce_min")
reduce_prod = _reduction("reduceProd", "reduce_prod")
reduce_and = _reduction("reduceAnd", "reduce_and")
reduce_or = _reduction("reduceOr", "reduce_or")
reduce_xor = _reduction("reduceXor", "reduce_xor")


def argmax(operand, axis, index_dtype):
    return _call("argmax", _value(operand), int(axis), _dtype(index_dtype))


def argmin(operand, axis, index_dtype):
    return _call("argmin", _value(operand), int(axis), _dtype(index_dtype))


def _cumulative(ts_name, py_name):
    def f(operand, axis=0, reverse=False):
        return _call(ts_name, _value(operand), int(axis), bool(reverse))

    f.__name__ = py_name
    return f


cumsum = _cumulative("cumsum", "cumsum")
cumprod = _cumulative("cumprod", "cumprod")
cummax = _cumulative("cummax", "cummax")
cummin = _cumulative("cummin", "cummin")
cumlogsumexp = _cumulative("cumlogsumexp", "cumlogsumexp")


def sort(operand, dimension=-1, is_stable=True, num_keys=1):
    if isinstance(operand, (tuple, list)):
        return tuple(_from_js(_B.lax("sortMulti", to_js([_vals(operand), int(dimension), bool(is_stable), int(num_keys)]), None)))
    return _call("sort", _value(operand), int(dimension), bool(is_stable))


def sort_key_val(keys, values, dimension=-1, is_stable=True):
    return tuple(_call("sortKeyVal", _value(keys), _value(values), int(dimension), bool(is_stable)))


def top_k(operand, k):
    from jax import numpy as jnp

    idx = jnp.argsort(-jnp.asarray(operand), axis=-1)[..., :k]
    return jnp.take_along_axis(jnp.asarray(operand), idx, axis=-1), idx.astype(jnp.int32)


# ---- products -----------------------------------------------------------------------------------


def _dot_opts(precision, preferred_element_type):
    opts = {}
    if precision is not None:
        opts["precision"] = str(precision)
    if preferred_element_type is not None:
        opts["preferredElementType"] = _dtype(preferred_element_type)
    return opts or None


def dot(lhs, rhs, precision=None, preferred_element_type=None):
    return _call("dot", _value(lhs), _value(rhs), opts=_dot_opts(precision, preferred_element_type))


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None, out_sharding=None):
    (lc, rc), (lb, rb) = dimension_numbers
    dn = to_js([to_js([_ints(lc), _ints(rc)]), to_js([_ints(lb), _ints(rb)])])
    return _call("dotGeneral", _value(lhs), _value(rhs), dn, opts=_dot_opts(precision, preferred_element_type))


def batch_matmul(lhs, rhs, precision=None):
    from jax import numpy as jnp

    return jnp.matmul(lhs, rhs)


# ---- sharding and collectives ------------------------------------------------------------------


def with_sharding_constraint(x, shardings):
    """Inside jit, the layout the partitioner must give x; outside, x laid out so (pytrees too)."""
    return _tu.tree_map(lambda a: _from_js(_B.shardingConstraint(_value(a), shardings._h)), x)


def _axes(axis_name):
    return to_js(list(axis_name)) if isinstance(axis_name, (tuple, list)) else axis_name


def _no_groups(name, axis_index_groups):
    # Refused rather than ignored: a silently ungrouped collective would give wrong numbers.
    if axis_index_groups is not None:
        raise NotImplementedError(f"{name}: axis_index_groups is not supported (collectives run over all devices along the named axes)")


def _collective(name):
    def f(x, axis_name, *, axis_index_groups=None):
        _no_groups(name, axis_index_groups)
        return _tu.tree_map(lambda a: _from_js(_B.collective(name, _value(a), _axes(axis_name), None)), x)

    f.__name__ = name
    f.__doc__ = f"`{name}` over the devices along the named mesh axes (inside shard_map)."
    return f


psum = _collective("psum")
pmean = _collective("pmean")
pmax = _collective("pmax")
pmin = _collective("pmin")


def all_gather(x, axis_name, *, axis_index_groups=None, axis=0, tiled=False):
    _no_groups("all_gather", axis_index_groups)
    opts = to_js({"axis": int(axis), "tiled": bool(tiled)}, dict_converter=Object.fromEntries)
    return _tu.tree_map(lambda a: _from_js(_B.collective("all_gather", _value(a), _axes(axis_name), opts)), x)


def psum_scatter(x, axis_name, *, scatter_dimension=0, axis_index_groups=None, tiled=False):
    _no_groups("psum_scatter", axis_index_groups)
    opts = to_js({"scatter_dimension": int(scatter_dimension), "tiled": bool(tiled)}, dict_converter=Object.fromEntries)
    return _tu.tree_map(lambda a: _from_js(_B.collective("psum_scatter", _value(a), _axes(axis_name), opts)), x)


def ppermute(x, axis_name, perm):
    pairs = to_js([to_js([int(a), int(b)]) for a, b in perm])
    return _tu.tree_map(lambda a: _from_js(_B.collective("ppermute", _value(a), _axes(axis_name), pairs)), x)


def axis_index(axis_name):
    return _from_js(_B.collective("axis_index", None, _axes(axis_name), None))


# ---- control flow -------------------------------------------------------------------------------


class _Flat:
    """A Python function of pytrees as the runtime's control flow sees it: lists of leaves."""

    def __init__(self, fn, in_trees, name):
        self.fn = fn
        self.in_trees = in_trees
        self.out_tree = None
        self.__name__ = name

    def __call__(self, *js_args):
        args = []
        for tree, a in zip(self.in_trees, js_args):
            if tree is None:
                args.append(None)
            elif isinstance(tree, _tu.PyTreeDef):
                args.append(_tu.tree_unflatten(tree, [_from_js(h) for h in a]))
            else:
                args.append(_from_js(a))
        out = self.fn(*args)
        leaves, self.out_tree = _tu.tree_flatten(out)
        return [_leaf(x, f"output of {self.__name__}") for x in leaves]


@contextlib.contextmanager
def _proxies(*fns):
    """Proxies of Python functions for the runtime, valid for one call."""
    ps = [create_proxy(f) for f in fns]
    try:
        yield ps
    finally:
        for p in ps:
            p.destroy()


def _name(f):
    return getattr(f, "__name__", type(f).__name__)


class _Branch:
    """A branch of cond/switch: called with the operand leaves spread as arguments."""

    def __init__(self, fn, tree):
        self.fn = fn
        self.tree = tree
        self.out_tree = None
        self.__name__ = _name(fn)

    def __call__(self, *handles):
        ops = _tu.tree_unflatten(self.tree, [_from_js(h) for h in handles])
        leaves, self.out_tree = _tu.tree_flatten(self.fn(*ops))
        return [_leaf(x, f"output of {self.__name__}") for x in leaves]


def _check_same_trees(what, trees):
    first = trees[0]
    for t in trees[1:]:
        if t != first:
            raise TypeError(f"{what} output must have same type structure, got {first} and {t}.")


def cond(pred, true_fun, false_fun, *operands):
    """`true_fun(*operands)` if pred else `false_fun(*operands)`, both traced, one run."""
    leaves, tree = _tu.tree_flatten(operands)
    branches = [_Branch(true_fun, tree), _Branch(false_fun, tree)]
    with _proxies(*branches) as ps:
        out = _B.laxControl("cond", to_js([_value(pred), _B.pyFn(ps[0], "list"), _B.pyFn(ps[1], "list"), *[_leaf(x) for x in leaves]]))
    _check_same_trees("true_fun and false_fun", [b.out_tree for b in branches])
    return _tu.tree_unflatten(branches[0].out_tree, _from_js(out))


def switch(index, branches, *operands):
    """`branches[index](*operands)` (index clamped into range), every branch traced."""
    branches = [_Branch(f, None) for f in branches]
    if not branches:
        raise ValueError("Empty branch sequence")
    leaves, tree = _tu.tree_flatten(operands)
    for b in branches:
        b.tree = tree
    with _proxies(*branches) as ps:
        fns = to_js([_B.pyFn(p, "list") for p in ps])
        out = _B.laxControl("switch", to_js([_value(index), fns, *[_leaf(x) for x in leaves]]))
    _check_same_trees("branch", [b.out_tree for b in branches])
    return _tu.tree_unflatten(branches[0].out_tree, _from_js(out))


def fori_loop(lower, upper, body_fun, init_val, *, unroll=None):
    """`val = body_fun(i, val)` for i in [lower, upper)."""
    leaves, tree = _tu.tree_flatten(init_val)
    body = _Flat(body_fun, ["value", tree], _name(body_fun))
    with _proxies(body) as (p,):
        out = _B.laxControl("foriLoop", to_js([_value(lower), _value(upper), _B.pyFn(p, "list"), to_js([_leaf(x) for x in leaves])]))
    return _tu.tree_unflatten(body.out_tree or tree, _from_js(out))


def while_loop(cond_fun, body_fun, init_val):
    """`while cond_fun(val): val = body_fun(val)`."""
    leaves, tree = _tu.tree_flatten(init_val)
    c = _Flat(cond_fun, [tree], _name(cond_fun))
    b = _Flat(body_fun, [tree], _name(body_fun))
    with _proxies(c, b) as (pc, pb):
        out = _B.laxControl("whileLoop", to_js([_B.pyFn(pc, "scalar"), _B.pyFn(pb, "list"), to_js([_leaf(x) for x in leaves])]))
    return _tu.tree_unflatten(b.out_tree or tree, _from_js(out))


def scan(f, init, xs=None, length=None, reverse=False, unroll=1, _split_transpose=False):
    """`carry, y = f(carry, x)` over the leading axis of xs; returns (carry, stacked ys)."""
    c_leaves, c_tree = _tu.tree_flatten(init)
    x_leaves, x_tree = _tu.tree_flatten(xs)
    state = {}

    def body(carry, x):
        out = f(carry, x if xs is not None else None)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError(f"scan body output must be a pair, got {out!r}.")
        new_carry, y = out
        cl, state["carry"] = _tu.tree_flatten(new_carry)
        yl, state["y"] = _tu.tree_flatten(y)
        return cl, yl

    flat = _FlatPair(body, c_tree, x_tree if xs is not None else None, _name(f))
    opts = {"reverse": bool(reverse), "unroll": unroll if isinstance(unroll, bool) else int(unroll)}
    if length is not None:
        opts["length"] = int(length)
    with _proxies(flat) as (p,):
        out = _B.laxControl("scan", to_js([
            _B.pyFn(p, "pair"), to_js([_leaf(x) for x in c_leaves]),
            to_js([_leaf(x) for x in x_leaves]) if xs is not None else None,
            to_js(opts, dict_converter=Object.fromEntries),
        ]))
    carry, ys = out
    return _tu.tree_unflatten(state["carry"], _from_js(carry)), _tu.tree_unflatten(state["y"], _from_js(ys))


class _FlatPair:
    def __init__(self, body, c_tree, x_tree, name):
        self.body = body
        self.c_tree = c_tree
        self.x_tree = x_tree
        self.__name__ = name

    def __call__(self, carry, x):
        c = _tu.tree_unflatten(self.c_tree, [_from_js(h) for h in carry])
        xv = _tu.tree_unflatten(self.x_tree, [_from_js(h) for h in x]) if self.x_tree is not None else None
        cl, yl = self.body(c, xv)
        return [[_leaf(v) for v in cl], [_leaf(v) for v in yl]]


def map(f, xs, *, batch_size=None):  # noqa: A001
    """`f` applied to each slice of xs along its leading axis, stacked."""
    _, ys = scan(lambda _, x: ((), f(x)), (), xs)
    return ys


def associative_scan(fn, elems, reverse=False, axis=0):
    """The cumulative `fn`-reduction of elems along `axis`, for an associative fn."""
    leaves, tree = _tu.tree_flatten(elems)
    f = _Flat(fn, [tree, tree], _name(fn))
    with _proxies(f) as (p,):
        out = _B.laxControl("associativeScan", to_js([
            _B.pyFn(p, "list"), to_js([_leaf(x) for x in leaves]),
            to_js({"reverse": bool(reverse), "axis": int(axis)}, dict_converter=Object.fromEntries),
        ]))
    return _tu.tree_unflatten(tree, _from_js(out))
