"""`jax.numpy`: NumPy's API on JAX arrays. The functions come from the runtime's signature
table (same names, parameter order and defaults as NumPy); dtypes, constants and the
Python-level helpers are defined here."""

import builtins as _builtins
import math as _math

from jax._src import dtypes as _dtypes
from jax._src.array import Array as ndarray  # noqa: F401 — jnp.ndarray is jax.Array
from jax._src.bridge import B as _B
from jax._src.dtypes import (  # noqa: F401
    bfloat16, bool_, dtype, float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
)
from jax._src.numpy_api import build_namespace as _build

globals().update({k: v for k, v in _build().items() if "." not in k})

from . import linalg  # noqa: E402

pi = _math.pi
e = _math.e
inf = _math.inf
nan = _math.nan
euler_gamma = 0.5772156649015329
newaxis = None

bool = bool_  # noqa: A001 — jnp.bool is the bool dtype, as in NumPy 2
float_ = float64
int_ = int64
uint = uint64
double = float64
single = float32
half = float16


class finfo:
    """Machine limits of a floating dtype (`jnp.finfo(jnp.float32).eps`)."""

    def __init__(self, dt):
        self.dtype = dtype(dt.dtype if hasattr(dt, "dtype") and not isinstance(dt, type) else dt)
        info = _B.finfo(self.dtype.name).split("|")
        self.eps, self.max, self.min, self.tiny = (float(v) for v in info)
        self.bits = self.dtype.itemsize * 8
        self.smallest_normal = self.tiny
        self.resolution = 10.0 ** -{16: 3, 32: 6, 64: 15}.get(self.bits, 2)

    def __repr__(self):
        return f"finfo(resolution={self.resolution}, min={self.min:e}, max={self.max:e}, dtype={self.dtype.name})"


class iinfo:
    """Limits of an integer dtype (`jnp.iinfo(jnp.int32).max`)."""

    def __init__(self, dt):
        self.dtype = dtype(dt.dtype if hasattr(dt, "dtype") and not isinstance(dt, type) else dt)
        if not _dtypes.is_int(self.dtype.name) and self.dtype.name != "bool":
            raise ValueError(f"Invalid integer data type '{self.dtype.name}'.")
        self.bits = self.dtype.itemsize * 8
        signed = self.dtype.name.startswith("int")
        self.min = -(2 ** (self.bits - 1)) if signed else 0
        self.max = 2 ** (self.bits - 1) - 1 if signed else 2**self.bits - 1

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype.name})"


def astype(x, dtype, /, *, copy=False, device=None):
    """`x` converted to `dtype` (the array API's astype)."""
    return asarray(x).astype(dtype)  # noqa: F821


def _kind(x):
    """An operand of result_type as the runtime takes it: `dtype|weak`."""
    if isinstance(x, ndarray):
        return f"{x.dtype.name}|{int(x.weak_type)}"
    if isinstance(x, _builtins.bool):
        return "bool|0"
    if isinstance(x, int):
        return "int64|1"
    if isinstance(x, float):
        return "float64|1"
    if isinstance(x, (list, tuple)):
        return _kind(asarray(x))  # noqa: F821
    return f"{dtype(x).name}|0"


def result_type(*args, return_weak_type_flag=False):
    """The dtype JAX gives an operation on these operands (its promotion lattice, weak types)."""
    if not args:
        raise ValueError("at least one array or dtype is required")
    from pyodide.ffi import to_js

    name, weak = str(_B.resultType(to_js([_kind(a) for a in args]))).split("|")
    return (dtype(name), weak == "1") if return_weak_type_flag else dtype(name)


def promote_types(a, b):
    return result_type(dtype(a), dtype(b))


def issubdtype(arg1, arg2):
    """NumPy's dtype hierarchy, for the abstract kinds JAX code uses."""
    name = dtype(arg1).name
    kinds = {
        "floating": _dtypes.is_float(name), "inexact": _dtypes.is_float(name),
        "integer": _dtypes.is_int(name), "signedinteger": name.startswith("int"),
        "unsignedinteger": name.startswith("uint"), "number": name != "bool", "bool_": name == "bool",
        "generic": True, "complexfloating": False,
    }
    key = getattr(arg2, "__name__", arg2)
    if isinstance(key, str) and key in kinds:
        return kinds[key]
    return dtype(arg1) == dtype(arg2)


class _Abstract:
    def __init__(self, name):
        self.__name__ = name

    def __repr__(self):
        return f"<class 'numpy.{self.__name__}'>"


floating = _Abstract("floating")
inexact = _Abstract("inexact")
integer = _Abstract("integer")
signedinteger = _Abstract("signedinteger")
unsignedinteger = _Abstract("unsignedinteger")
number = _Abstract("number")
generic = _Abstract("generic")
complexfloating = _Abstract("complexfloating")


def isdtype(dt, kind):
    kinds = kind if isinstance(kind, tuple) else (kind,)
    name = dtype(dt).name
    table = {
        "bool": name == "bool", "signed integer": name.startswith("int"), "unsigned integer": name.startswith("uint"),
        "integral": _dtypes.is_int(name), "real floating": _dtypes.is_float(name), "complex floating": False,
        "numeric": name != "bool",
    }
    return any(table[k] if isinstance(k, str) else dtype(k) == name for k in kinds)


def vectorize(pyfunc, *, excluded=frozenset(), signature=None):
    """Vectorizes a function of scalars with vmap (one vmap per broadcast dimension)."""
    if signature is not None:
        raise NotImplementedError("jnp.vectorize(signature=...) is not supported in jaxnb")
    import functools

    from jax._src.batching import vmap

    @functools.wraps(pyfunc)
    def wrapped(*args):
        arrays = [asarray(a) if i not in excluded else a for i, a in enumerate(args)]  # noqa: F821
        shapes = [a.shape for i, a in enumerate(arrays) if i not in excluded]
        shape = broadcast_shapes(*shapes) if shapes else ()  # noqa: F821
        arrays = [broadcast_to(a, shape) if i not in excluded else a for i, a in enumerate(arrays)]  # noqa: F821
        f = pyfunc
        for _ in shape:
            f = vmap(f, in_axes=tuple(None if i in excluded else 0 for i in range(len(args))))
        return f(*arrays)

    return wrapped
