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


# ---- results as JAX returns them: tuples (named where JAX names them), not the runtime's lists ----

import collections as _collections  # noqa: E402

UniqueAllResult = _collections.namedtuple("UniqueAllResult", ["values", "indices", "inverse_indices", "counts"])
UniqueCountsResult = _collections.namedtuple("UniqueCountsResult", ["values", "counts"])
UniqueInverseResult = _collections.namedtuple("UniqueInverseResult", ["values", "inverse_indices"])

_TUPLE_RESULTS = {
    "nonzero": tuple, "tril_indices": tuple, "triu_indices": tuple, "tril_indices_from": tuple,
    "triu_indices_from": tuple, "diag_indices": tuple, "diag_indices_from": tuple, "unravel_index": tuple,
    "ix_": tuple, "indices": tuple, "divmod": tuple, "frexp": tuple, "modf": tuple, "histogram": tuple,
    "unique": tuple, "intersect1d": tuple, "average": tuple,
    "unique_all": lambda r: UniqueAllResult(*r), "unique_counts": lambda r: UniqueCountsResult(*r),
    "unique_inverse": lambda r: UniqueInverseResult(*r),
}


def _tupled(fn, make):
    import functools

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        r = fn(*args, **kwargs)
        return make(r) if isinstance(r, list) else r

    return wrapped


for _name, _make in _TUPLE_RESULTS.items():
    globals()[_name] = _tupled(globals()[_name], _make)
del _name, _make


# ---- functions whose arguments the generic binding cannot pass: callables, slices, nested block lists ----

def _slice_positions(obj, arr, axis):
    """A slice `obj` as the list of positions it selects along `axis` (the flattened array for None)."""
    a = asarray(arr)  # noqa: F821
    n = a.size if axis is None else a.shape[axis]
    return list(range(*obj.indices(n)))


_delete_generic = delete  # noqa: F821
_insert_generic = insert  # noqa: F821


def delete(arr, obj, axis=None, *, assume_unique_indices=False):
    """Entries `obj` (an int, slice, int array or boolean mask) removed along `axis` (flattened for None)."""
    if isinstance(obj, slice):
        obj, assume_unique_indices = _slice_positions(obj, arr, axis), True
    return _delete_generic(arr, obj, axis, assume_unique_indices)


def insert(arr, obj, values, axis=None):
    """`values` inserted before the positions `obj` (an int, slice or int array) along `axis`."""
    if isinstance(obj, slice):
        obj = _slice_positions(obj, arr, axis)
    return _insert_generic(arr, obj, values, axis)


def block(arrays):
    """An array assembled from nested lists of blocks (NumPy's block): lists only, as NumPy requires."""
    from pyodide.ffi import to_js

    from jax._src.array import from_js, to_value

    def nested(x):
        if isinstance(x, tuple):
            raise TypeError("arrays is a tuple. Only lists can be used to arrange blocks, and np.block does not allow implicit conversion from tuple to ndarray.")
        return to_js([nested(e) for e in x]) if isinstance(x, list) else to_value(x)

    return from_js(_B.numpy("block", to_js([nested(arrays)]), None))


def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """`func1d` applied to the 1-D slices along `axis`, by vmap over the other axes (as JAX does)."""
    from jax._src.batching import vmap

    a = asarray(arr)  # noqa: F821
    axis = axis + a.ndim if axis < 0 else axis
    if not 0 <= axis < a.ndim:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension {a.ndim}")

    def func(x):
        return func1d(x, *args, **kwargs)

    for i in range(1, a.ndim - axis):
        func = vmap(func, in_axes=i, out_axes=-1)
    for _ in range(axis):
        func = vmap(func, in_axes=0, out_axes=0)
    return func(a)


def apply_over_axes(func, a, axes):
    """`func(a, axis)` for each axis in turn, a reduced axis kept with length 1."""
    a = asarray(a)  # noqa: F821
    for axis in [axes] if isinstance(axes, int) else axes:
        b = func(a, axis)
        if b.ndim == a.ndim:
            a = b
        elif b.ndim == a.ndim - 1:
            a = expand_dims(b, axis)  # noqa: F821
        else:
            raise ValueError("function is not returning an array of the correct shape")
    return a


def piecewise(x, condlist, funclist, *args, **kw):
    """Where condition i holds, `funclist[i](x)` (or the constant); an extra function is the default."""
    x = asarray(x)  # noqa: F821
    conds = asarray(condlist).astype(bool)  # noqa: F821
    if conds.ndim == x.ndim:
        conds = conds[None]
    nc, nf = conds.shape[0], len(funclist)
    if nf == nc + 1:
        funclist = [funclist[-1], *funclist[:-1]]
    elif nf == nc:
        funclist = [0, *funclist]
    else:
        raise ValueError(f"with {nc} condition(s), either {nc} or {nc + 1} functions are expected; got {nf}")

    def piece(f):
        return (asarray(f(x, *args, **kw)) if callable(f) else asarray(f)).astype(x.dtype)  # noqa: F821

    out = broadcast_to(piece(funclist[0]), x.shape)  # noqa: F821
    for i in range(nc):
        out = where(conds[i], piece(funclist[i + 1]), out)  # noqa: F821
    return out


for _name in ("histogram2d", "polydiv", "unstack", "mask_indices"):
    globals()[_name] = _tupled(globals()[_name], tuple)
histogramdd = _tupled(histogramdd, lambda r: (r[0], list(r[1])))  # noqa: F821 — (H, [edges]) as JAX
del _name


def fromfunction(function, shape, *, dtype=float, **kwargs):
    """`function` called with one index grid per axis (NumPy's fromfunction)."""
    grids = indices(shape, dtype=dtype)  # noqa: F821
    return function(*[grids[i] for i in range(len(shape))], **kwargs)


def mask_indices(n, mask_func, k=0, *, size=None):
    """The indices where `mask_func(ones((n, n)), k)` is nonzero (a static `size` under jit)."""
    return nonzero(mask_func(ones((n, n), dtype=int32), k), size=size)  # noqa: F821


# ---- index tricks: s_, index_exp, mgrid, ogrid, r_, c_; isscalar, iterable ----

class _IndexExpression:
    """`s_[...]` gives the index itself, `index_exp[...]` always a tuple (NumPy's)."""

    def __init__(self, maketuple):
        self._maketuple = maketuple

    def __getitem__(self, item):
        return (item,) if self._maketuple and not isinstance(item, tuple) else item


s_ = _IndexExpression(False)
index_exp = _IndexExpression(True)


def _range_of(s):
    """A slice of mgrid/r_: arange, or linspace with `num` points for a complex step (`0:1:5j`)."""
    start = 0 if s.start is None else s.start
    if isinstance(s.step, _builtins.complex):
        return linspace(start, s.stop, int(_builtins.abs(s.step)))  # noqa: F821
    return arange(start, s.stop, 1 if s.step is None else s.step)  # noqa: F821


class _Grid:
    """`mgrid[0:3, 0:2]`: a dense grid stacked on a new first axis; `ogrid`: open (broadcastable) grids."""

    def __init__(self, sparse):
        self._sparse = sparse

    def __getitem__(self, key):
        if isinstance(key, slice):
            return _range_of(key)
        axes = [_range_of(k) for k in key]
        grids = meshgrid(*axes, indexing="ij", sparse=self._sparse)  # noqa: F821
        return list(grids) if self._sparse else stack(grids)  # noqa: F821


mgrid = _Grid(False)
ogrid = _Grid(True)


class _Concat:
    """`r_[a, b, 0:3]` concatenates along an axis (first item may be an axis string like '-1');
    `c_[a, b]` puts 1-D items side by side as columns."""

    def __init__(self, columns):
        self._columns = columns

    def __getitem__(self, key):
        items = list(key) if isinstance(key, tuple) else [key]
        axis = -1 if self._columns else 0
        if items and isinstance(items[0], str):
            try:
                axis = int(items.pop(0))
            except ValueError:
                raise NotImplementedError("jaxnb's r_/c_ take an axis string only ('0', '-1'), not NumPy's matrix or ndmin directives") from None
        parts = []
        for it in items:
            a = _range_of(it) if isinstance(it, slice) else atleast_1d(asarray(it))  # noqa: F821
            if self._columns:
                a = a[:, None] if a.ndim == 1 else a
            parts.append(a)
        return concatenate(parts, axis=axis)  # noqa: F821


r_ = _Concat(False)
c_ = _Concat(True)


def isscalar(element):
    """True for Python scalars (NumPy's isscalar) and, unlike NumPy, for 0-d arrays (JAX's)."""
    if isinstance(element, (_builtins.bool, int, float, _builtins.complex, str, bytes)):
        return True
    if isinstance(element, ndarray):
        return element.ndim == 0
    return False


def iterable(y):
    """Whether `iter(y)` works."""
    try:
        iter(y)
    except TypeError:
        return False
    return True


def array_repr(arr, max_line_width=None, precision=None, suppress_small=None):
    """`repr` of an array as JAX prints it (NumPy's default print options only)."""
    if (max_line_width, precision, suppress_small) != (None, None, None):
        raise NotImplementedError("jaxnb's array_repr supports NumPy's default print options only")
    return repr(asarray(arr))  # noqa: F821


def array_str(a, max_line_width=None, precision=None, suppress_small=None):
    """`str` of an array (NumPy's default print options only)."""
    if (max_line_width, precision, suppress_small) != (None, None, None):
        raise NotImplementedError("jaxnb's array_str supports NumPy's default print options only")
    return str(asarray(a))  # noqa: F821
