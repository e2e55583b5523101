"""`jax.jit`, `jax.make_jaxpr` and `jax.eval_shape` for Python functions: static arguments
and pytrees are handled here; the runtime traces the flat function once per input types,
compiles it and caches the result (kernel/jit)."""

import functools
import inspect

from . import tree_util
from .api_util import FlatFun, ensure_tuple, fun_location, fun_name, js_list, leaf_aval_key, leaf_value
from .array import Array, _canonical, from_js
from .bridge import B, js_call
from .config import config
from .core import ShapeDtypeStruct


def _signature(fun):
    try:
        return inspect.signature(fun)
    except (TypeError, ValueError):
        return None


def _static_names_and_nums(fun, static_argnums, static_argnames):
    """JAX infers static_argnames from static_argnums and the reverse, through the signature."""
    nums, names = set(ensure_tuple(static_argnums)), set(ensure_tuple(static_argnames))
    sig = _signature(fun)
    if sig is not None:
        params = list(sig.parameters.values())
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        for i in list(nums):
            if 0 <= i < len(positional) and positional[i].kind == positional[i].POSITIONAL_OR_KEYWORD:
                names.add(positional[i].name)
        for n in list(names):
            for i, p in enumerate(positional):
                if p.name == n:
                    nums.add(i)
    return tuple(sorted(nums)), tuple(sorted(names))


def _hashable(x, what):
    try:
        hash(x)
    except TypeError:
        raise ValueError(
            f"Non-hashable static arguments are not supported. An error occurred while trying to hash an "
            f"object of type {type(x)}, {x!r}. The error was:\nTypeError: unhashable type: '{type(x).__name__}'\n"
        ) from None
    if isinstance(x, Array):
        raise ValueError(f"Non-hashable static arguments are not supported: {what} is a JAX array")
    return x


def add_trace_context(e, fun, what):
    """JAX names the function being traced in concretization errors."""
    from jax import errors

    if isinstance(e, (errors.ConcretizationTypeError, errors.TracerIntegerConversionError)) and e.args and "The error occurred while tracing" not in str(e.args[0]):
        msg = str(e.args[0])
        where = fun_location(fun)
        line = f"The error occurred while tracing the function {fun_name(fun)}{f' at {where}' if where else ''} for {what}."
        head, sep, tail = msg.partition("\nSee https://")
        e.args = (f"{head}\n{line}{sep}{tail}" if sep else f"{msg}\n{line}",) + e.args[1:]


class _Entry:
    __slots__ = ("jitted", "flat")

    def __init__(self, jitted, flat):
        self.jitted = jitted
        self.flat = flat


class Jitted:
    """A jit-compiled function: call it as the original; `lower(...)` shows what runs."""

    def __init__(self, fun, static_argnums, static_argnames, donate_argnums):
        functools.update_wrapper(self, fun)
        self._fun = fun
        self._static_nums, self._static_names = _static_names_and_nums(fun, static_argnums, static_argnames)
        self._donate = set(ensure_tuple(donate_argnums))
        self._cache = {}

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def _prepare(self, args, kwargs):
        nargs = len(args)
        statics = {}
        for i in self._static_nums:
            if i < nargs:
                statics[i] = _hashable(args[i], f"argument {i}")
        static_kw = {k: _hashable(v, f"argument {k}") for k, v in kwargs.items() if k in self._static_names}
        dyn_args = [a for i, a in enumerate(args) if i not in statics]
        dyn_kw = {k: v for k, v in kwargs.items() if k not in static_kw}
        leaves, in_tree = tree_util.tree_flatten((dyn_args, dyn_kw))
        key = (in_tree, tuple(sorted(statics.items())), tuple(sorted(static_kw.items())), tuple(map(leaf_aval_key, leaves)))
        entry = self._cache.get(key)
        if entry is None:

            def rebuild(dyn):
                d_args, d_kw = dyn
                it = iter(d_args)
                full = [statics[i] if i in statics else next(it) for i in range(nargs)]
                return self._fun(*full, **d_kw, **static_kw)

            flat = FlatFun(self._fun, in_tree, rebuild)
            donated = [i in self._donate for i in range(nargs) if i not in statics]
            per_leaf = []
            for d, a in zip(donated, dyn_args):
                per_leaf += [d] * len(tree_util.tree_leaves(a))
            per_leaf += [False] * (len(leaves) - len(per_leaf))
            entry = _Entry(B.jit(flat.proxy(), fun_name(self._fun), js_list(per_leaf)), flat)
            self._cache[key] = entry
        return entry, leaves

    def __call__(self, *args, **kwargs):
        if config.jax_disable_jit:
            return self._fun(*args, **kwargs)
        entry, leaves = self._prepare(args, kwargs)
        try:
            outs = js_call(entry.jitted.call, js_list(leaf_value(x) for x in leaves))
        except Exception as e:
            add_trace_context(e, self._fun, "jit")
            raise
        return tree_util.tree_unflatten(entry.flat.out_tree, from_js(outs))

    def lower(self, *args, **kwargs):
        entry, leaves = self._prepare(args, kwargs)
        return Lowered(js_call(entry.jitted.lower, js_list(leaf_value(x) for x in leaves)))

    def trace(self, *args, **kwargs):
        return make_jaxpr(self._fun)(*args, **kwargs)

    def __repr__(self):
        return f"<PjitFunction of {self._fun!r}>"


class Lowered:
    """What `jit(f).lower(x)` returns: the jaxpr and the compiled kernels."""

    def __init__(self, lowered):
        self._lowered = lowered

    def as_text(self, dialect=None):
        return str(self._lowered.asText())

    def compile(self):
        return self

    def cost_analysis(self):
        return {"kernels": int(self._lowered.numKernels)}

    def __repr__(self):
        return str(self._lowered.toString())


def jit(fun=None, *, static_argnums=None, static_argnames=None, donate_argnums=None, donate_argnames=None,
        keep_unused=False, device=None, backend=None, inline=False, in_shardings=None, out_shardings=None,
        abstracted_axes=None):
    """Compiles `fun` (traced once per input shapes/dtypes and static arguments, then cached)."""
    if fun is None:
        return lambda f: jit(f, static_argnums=static_argnums, static_argnames=static_argnames, donate_argnums=donate_argnums,
                             donate_argnames=donate_argnames, keep_unused=keep_unused, device=device, backend=backend, inline=inline,
                             in_shardings=in_shardings, out_shardings=out_shardings)
    if not callable(fun):
        raise TypeError(f"Expected a callable value, got {fun!r}")
    if out_shardings is not None:
        fun = _constrain_outputs(fun, out_shardings)
    jitted = Jitted(fun, static_argnums, static_argnames, donate_argnums)
    return jitted if in_shardings is None else _ShardedArgs(jitted, in_shardings, _arg_names(fun))


def _constrain_outputs(fun, out_shardings):
    """Results constrained to their shardings inside the traced body (as JAX's partitioner does)."""
    from .array import to_value

    def constrain(s, y, path):
        return tree_util.tree_map_with_path(lambda kp, leaf: from_js(B.shardingConstraint(to_value(leaf), s._h, path + tree_util.keystr(kp))), y)

    @functools.wraps(fun)
    def constrained(*args, **kwargs):
        return _map_prefix_path(out_shardings, fun(*args, **kwargs), "result", constrain)

    return constrained


def _arg_names(fun):
    """Positional parameter names (JAX's debug_info.arg_names): `x`, or `args[i]` past a *args."""
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    star = next((p.name for p in params if p.kind == p.VAR_POSITIONAL), "args")
    return lambda i: names[i] if i < len(names) else f"{star}[{i - len(names)}]"


def _map_prefix_path(spec, tree, path, fn):
    """`fn(named_sharding, subtree, key_path)` for each NamedSharding leaf of the prefix `spec`
    (other shardings: device_put; None: left as is). Key paths as JAX prints them: `x`, `params['w']`."""
    from jax import sharding as shd
    from jax._src.api import device_put

    if spec is None:
        return tree
    if isinstance(spec, shd.NamedSharding):
        return fn(spec, tree, path)
    if isinstance(spec, shd.Sharding):
        return device_put(tree, spec)
    if isinstance(spec, (tuple, list)):
        if not isinstance(tree, (tuple, list)) or len(tree) != len(spec):
            raise ValueError(f"shardings must be a tree prefix of the values: got {len(spec)} shardings for {tree!r}")
        return type(tree)(_map_prefix_path(si, xi, f"{path}[{i}]", fn) for i, (si, xi) in enumerate(zip(spec, tree)))
    return {k: _map_prefix_path(spec[k], v, f"{path}[{k!r}]", fn) if k in spec else v for k, v in tree.items()}


def _place_arg(s, x, path):
    """One argument placed with the in_shardings entry covering it; `path` is its pytree key path."""
    from jax import sharding as shd

    return _map_prefix_path(s, x, path, lambda ns, t, p: tree_util.tree_map_with_path(lambda kp, leaf: shd.put(leaf, ns, p + tree_util.keystr(kp)), t))


class _ShardedArgs:
    """A jitted function whose positional arguments are first placed with `in_shardings`."""

    def __init__(self, jitted, in_shardings, arg_names):
        functools.update_wrapper(self, jitted)
        self._jitted = jitted
        self._in = in_shardings
        self._names = arg_names

    def _place(self, args):
        spec = tuple(self._in) if isinstance(self._in, (tuple, list)) else (self._in,) * len(args)
        if len(spec) != len(args):
            raise ValueError(f"shardings must be a tree prefix of the values: got {len(spec)} shardings for {len(args)} arguments")
        return tuple(_place_arg(s, x, self._names(i)) for i, (s, x) in enumerate(zip(spec, args)))

    def __call__(self, *args, **kwargs):
        return self._jitted(*self._place(args), **kwargs)

    def lower(self, *args, **kwargs):
        return self._jitted.lower(*self._place(args), **kwargs)


# ---- make_jaxpr and eval_shape -----------------------------------------------------------------


def _aval_spec(x):
    """(dtype, weak, shape) of a leaf standing for an argument: Python scalars are weakly typed."""
    if isinstance(x, (ShapeDtypeStruct, Array)):
        return js_list([x.dtype.name, bool(getattr(x, "weak_type", False)), js_list(x.shape)])
    if isinstance(x, bool):
        return js_list(["bool", False, js_list([])])
    if isinstance(x, (int, float)):
        name = _canonical("int64" if isinstance(x, int) else "float64")
        return js_list([name, True, js_list([])])
    v = from_js(leaf_value(x))
    return js_list([v.dtype.name, v.weak_type, js_list(v.shape)])


class ClosedJaxpr:
    """What `make_jaxpr` returns; prints as JAX prints jaxprs."""

    def __init__(self, text, out_tree):
        self._text = text
        self.out_tree = out_tree

    @property
    def jaxpr(self):
        return self

    def pretty_print(self, **kwargs):
        return self._text

    def __str__(self):
        return self._text

    __repr__ = __str__

    def _repr_pretty_(self, p, cycle):
        p.text(self._text)


def make_jaxpr(fun, static_argnums=(), axis_env=None, return_shape=False, abstracted_axes=None):
    """`make_jaxpr(f)(*args)`: the jaxpr of `f` at the shapes and dtypes of `args`."""
    static_argnums = ensure_tuple(static_argnums)

    def wrapped(*args, **kwargs):
        statics = {i: a for i, a in enumerate(args) if i in static_argnums}
        dyn = [a for i, a in enumerate(args) if i not in statics]
        leaves, in_tree = tree_util.tree_flatten((dyn, kwargs))

        def rebuild(tree):
            d_args, d_kw = tree
            it = iter(d_args)
            return fun(*[statics[i] if i in statics else next(it) for i in range(len(args))], **d_kw)

        flat = FlatFun(fun, in_tree, rebuild)
        try:
            text = B.makeJaxpr(flat, js_list(_aval_spec(x) for x in leaves))
        except Exception as e:
            add_trace_context(e, fun, "make_jaxpr")
            raise
        closed = ClosedJaxpr(str(text), flat.out_tree)
        if return_shape:
            return closed, eval_shape(fun, *args, **kwargs)
        return closed

    functools.update_wrapper(wrapped, fun)
    return wrapped


def eval_shape(fun, *args, **kwargs):
    """The shapes and dtypes `fun` would return, as ShapeDtypeStructs, without computing anything."""
    leaves, in_tree = tree_util.tree_flatten((args, kwargs))
    flat = FlatFun(lambda a, k: fun(*a, **k), in_tree)
    infos = B.evalShape(flat, js_list(_aval_spec(x) for x in leaves))
    outs = []
    for info in infos:
        _, dtype, weak, shape = str(info).split("|")
        outs.append(ShapeDtypeStruct(tuple(int(d) for d in shape.split(",")) if shape else (), dtype, weak_type=weak == "1"))
    return tree_util.tree_unflatten(flat.out_tree, outs)
