"""`jax.numpy` functions made from the runtime's signature table (kernel/numpy/signatures.ts,
via the bridge): each Python function has NumPy's signature, binds its arguments like NumPy,
and calls the TypeScript function with the required ones positional and the rest as options."""

import functools
import inspect
import json

from js import Object
from pyodide.ffi import to_js

from .array import from_js, to_option, to_value
from .bridge import B

_EMPTY = inspect.Parameter.empty


def _default(spec):
    return None if spec is None else spec


class _Param:
    __slots__ = ("name", "kind", "default")

    def __init__(self, entry):
        self.name = entry[0]
        self.kind = entry[1]
        self.default = _default(entry[2]) if len(entry) > 2 else None


def _signature(params):
    out = []
    kinds = {
        "pos": inspect.Parameter.POSITIONAL_OR_KEYWORD,
        "opt": inspect.Parameter.POSITIONAL_OR_KEYWORD,
        "var": inspect.Parameter.VAR_POSITIONAL,
        "kw": inspect.Parameter.KEYWORD_ONLY,
    }
    for p in params:
        default = _EMPTY if p.kind in ("pos", "var") else p.default
        out.append(inspect.Parameter(p.name, kinds[p.kind], default=default))
    return inspect.Signature(out)


#: Functions whose arguments need a Python-side adjustment before the call.
_PREPARE = {}


def _prepare(name):
    def register(fn):
        _PREPARE[name] = fn
        return fn

    return register


@_prepare("arange")
def _arange(arguments):
    # NumPy's arange takes its dtype from its (Python number) arguments: a float anywhere → float.
    nums = [arguments.get(k) for k in ("start", "stop", "step")]
    if arguments.get("dtype") is None and any(isinstance(v, float) for v in nums):
        arguments["dtype"] = "float64"
    for k in ("start", "stop", "step"):
        if isinstance(arguments.get(k), float):
            arguments[k] = _Plain(arguments[k])
    return arguments


class _Plain:
    """A number to pass as a plain JS number (not a weakly typed float)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def _positional(v):
    # A string is never an array: it is a parameter such as einsum's subscripts, and the
    # runtime's signature check says so where a function wants an array instead.
    if isinstance(v, str):
        return v
    return v.value if isinstance(v, _Plain) else to_value(v)


def _option(v):
    return v.value if isinstance(v, _Plain) else to_option(v)


def _call_error(params, args, kwargs, error):
    """CPython's own wording for a call that does not fit the signature (inspect's is terser)."""
    if any(p.kind == "var" for p in params):
        return str(error).replace("multiple values", "got multiple values")
    lo = sum(p.kind == "pos" for p in params)
    hi = sum(p.kind in ("pos", "opt") for p in params)
    if len(args) > hi:
        takes = f"{hi}" if lo == hi else f"from {lo} to {hi}"
        noun = "argument" if hi == 1 and lo == hi else "arguments"
        return f"takes {takes} positional {noun} but {len(args)} {'was' if len(args) == 1 else 'were'} given"
    missing = [p.name for p in params[len(args):] if p.kind == "pos" and p.name not in kwargs]
    if missing:
        names = [f"'{n}'" for n in missing]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return f"missing {len(missing)} required positional argument{'s' if len(missing) > 1 else ''}: {listed}"
    return str(error).replace("multiple values", "got multiple values")


def make_function(name, params, doc=None):
    params = [_Param(p) for p in params]
    sig = _signature(params)
    prepare = _PREPARE.get(name)

    def fn(*args, **kwargs):
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{name}() {_call_error(params, args, kwargs, e)}") from None
        arguments = bound.arguments
        if prepare is not None:
            arguments = prepare(dict(arguments))
        pos, opts = [], {}
        for p in params:
            if p.name not in arguments:
                continue
            v = arguments[p.name]
            if p.kind == "pos":
                pos.append(_positional(v))
            elif p.kind == "var":
                pos.append(to_js([_positional(x) for x in v]))
            elif v is not None:
                opts[p.name] = _option(v)
        js_opts = to_js(opts, dict_converter=Object.fromEntries) if opts else None
        try:
            return from_js(B.numpy(name, to_js(pos), js_opts))
        except TypeError as e:
            # A string where the function wants an array: JAX's wording, naming the position.
            if "is not a valid JAX array type" in str(e):
                for i, v in enumerate(args):
                    if isinstance(v, str):
                        raise TypeError(f"{name} requires ndarray or scalar arguments, got {type(v)} at position {i}.") from None
            raise

    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = "jax.numpy"
    fn.__signature__ = sig
    fn.__doc__ = doc or f"JAX implementation of :func:`numpy.{name}`."
    return fn


@functools.cache
def build_namespace():
    table = json.loads(str(B.numpySignatures()))
    return {name: make_function(name, entry["params"], entry.get("doc")) for name, entry in table.items()}
