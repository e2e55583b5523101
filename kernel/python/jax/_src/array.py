"""`jax.Array` in Python: a thin object around a runtime handle (a concrete array or a tracer),
with Python's operators, conversions and JAX's methods. Values cross to the runtime through
`to_value` (Python scalars keep JAX's weak typing, lists become arrays) and come back through
`from_js`.
"""

import math

from pyodide.ffi import to_js

from . import dtypes
from .bridge import B

_INT_LIMIT = 2**53


def _jnp():
    from jax import numpy as jnp

    return jnp


# ---- Python values → runtime values -----------------------------------------------------------


def _check_int(v):
    if not -_INT_LIMIT < v < _INT_LIMIT:
        raise OverflowError(f"Python int {v} too large to convert to int32")
    return v


def _scalar(x):
    """A Python scalar as the runtime sees it: ints and bools as they are, floats weakly typed
    (an integral float would read as an int, so it gets an explicit float type)."""
    if isinstance(x, bool):
        return x
    if isinstance(x, int):
        return _check_int(x)
    if math.isfinite(x) and x == int(x):
        return B.weakFloat(x)
    return x


def _list_kind(x, out):
    """Flattens a nested list of Python scalars into `out`; returns its shape and the scalar
    kinds seen, or None if the list holds arrays."""
    if isinstance(x, (list, tuple)):
        shapes, kinds = set(), set()
        for e in x:
            got = _list_kind(e, out)
            if got is None:
                return None
            shapes.add(got[0])
            kinds |= got[1]
        if len(shapes) > 1:
            raise ValueError("setting an array element with a sequence. The requested array has an inhomogeneous shape.")
        inner = shapes.pop() if shapes else ()
        return (len(x),) + inner, kinds
    if isinstance(x, bool):
        out.append(x)
        return (), {"bool"}
    if isinstance(x, int):
        out.append(_check_int(x))
        return (), {"int"}
    if isinstance(x, float):
        out.append(x)
        return (), {"float"}
    if isinstance(x, complex):
        raise TypeError("complex numbers are not supported by jaxnb")
    return None


def _list_value(x):
    """A Python list or tuple as a runtime value. Lists of ints or bools stay lists (they may be
    shapes or axes; the runtime makes int32/bool arrays of them where arrays are meant). Lists
    with floats become one array, float32 by JAX's rules. With arrays or tracers inside, the
    runtime stacks them."""
    flat = []
    got = _list_kind(x, flat)
    if got is None:
        return to_js([to_value(e) for e in x])
    shape, kinds = got
    if "float" not in kinds:
        return to_js(x)
    return B.fromHost(to_js([float(v) for v in flat]), to_js(list(shape)), _canonical("float64"), False)


def _canonical(name):
    from .config import config

    if config.jax_enable_x64:
        return name
    return {"float64": "float32", "int64": "int32", "uint64": "uint32"}.get(name, name)


def to_value(x):
    """Any array-like Python value as a runtime value (arrays and tracers as their handles)."""
    if isinstance(x, Array):
        return x._handle()
    if isinstance(x, (bool, int, float)):
        return _scalar(x)
    if isinstance(x, (list, tuple)):
        return _list_value(x)
    if isinstance(x, dtypes._ScalarType) or x is None:
        raise TypeError(f"Value {x!r} of type {type(x)} is not a valid JAX type")
    handle = getattr(x, "__jax_array__", None)
    if handle is not None:
        return to_value(handle())
    raise TypeError(f"Value {x!r} of type {type(x)} is not a valid JAX type")


def to_option(x):
    """A keyword argument as the runtime takes it: numbers plain, tuples as lists, dtypes by name."""
    if isinstance(x, Array):
        return x._handle()
    if isinstance(x, (dtypes.dtype, dtypes._ScalarType)) or (isinstance(x, type) and x in (float, int, bool)):
        return dtypes.name_or_none(x)
    if isinstance(x, (list, tuple)):
        if all(isinstance(e, (int, bool)) for e in x):
            return to_js(list(x))
        return to_value(x)
    if isinstance(x, int) and not isinstance(x, bool):
        return _check_int(x)
    return x


# ---- runtime values → Python ------------------------------------------------------------------


def _parse_info(info):
    kind, dtype, weak, shape = info.split("|")
    return kind, dtype, weak == "1", tuple(int(d) for d in shape.split(",")) if shape else ()


def from_js(r):
    """A runtime result as Python: arrays and tracers wrapped, lists as lists, scalars as they are."""
    if r is None or isinstance(r, (bool, int, float, str)):
        return r
    info = B.info(r)
    if not info:
        return r
    if info[0] == "l":
        return [from_js(e) for e in r]
    kind, dtype, weak, shape = _parse_info(info)
    if kind == "0":
        return Float0Array(shape)
    cls = Tracer if kind == "t" else ArrayImpl
    return cls._make(r, shape, dtype, weak)


class Float0Array:
    """The tangent of an integer value (JAX's float0): a shape and no data."""

    dtype = dtypes.float0

    def __init__(self, shape):
        self.shape = tuple(shape)

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"Array({'[]' if not self.shape else '...'}, shape={self.shape}, dtype=float0)"

    def _handle(self):
        return B.float0(to_js(list(self.shape)))


# ---- Array --------------------------------------------------------------------------------------


def _call(name, *args):
    """A jax.numpy function whose parameters are all positional arrays (operators use these)."""
    return from_js(B.numpy(name, to_js([to_value(a) for a in args]), None))


def _binop(name, reflected=False):
    def op(self, other):
        if not _accepts(other):
            return NotImplemented
        return _call(name, other, self) if reflected else _call(name, self, other)

    op.__name__ = f"__{'r' if reflected else ''}{name}__"
    return op


def _accepts(x):
    return isinstance(x, (Array, bool, int, float, list, tuple)) or hasattr(x, "__jax_array__")


def _method(name):
    def m(self, *args, **kwargs):
        return getattr(_jnp(), name)(self, *args, **kwargs)

    m.__name__ = name
    m.__doc__ = f"Equivalent to ``jnp.{name}(self, ...)``."
    return m


class Array:
    """A JAX array or a tracer standing for one (`jax.Array`)."""

    __slots__ = ("_h", "_shape", "_dtype", "_weak", "__weakref__")
    __array_priority__ = 100

    @classmethod
    def _make(cls, h, shape, dtype, weak):
        self = object.__new__(cls)
        self._h = h
        self._shape = shape
        self._dtype = dtypes.dtype(dtype)
        self._weak = weak
        return self

    def _handle(self):
        return self._h

    # -- attributes --
    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    @property
    def ndim(self):
        return len(self._shape)

    @property
    def size(self):
        return math.prod(self._shape)

    @property
    def itemsize(self):
        return self._dtype.itemsize

    @property
    def nbytes(self):
        return self.size * self._dtype.itemsize

    @property
    def weak_type(self):
        return self._weak

    @property
    def aval(self):
        from .core import ShapedArray

        return ShapedArray(self._shape, self._dtype, self._weak)

    @property
    def T(self):
        return _call("transpose", self)

    @property
    def mT(self):
        return _jnp().matrix_transpose(self)

    @property
    def real(self):
        return _jnp().real(self)

    @property
    def imag(self):
        return _jnp().imag(self)

    @property
    def at(self):
        from .indexing import IndexUpdateHelper

        return IndexUpdateHelper(self)

    # -- operators --
    __add__, __radd__ = _binop("add"), _binop("add", True)
    __sub__, __rsub__ = _binop("subtract"), _binop("subtract", True)
    __mul__, __rmul__ = _binop("multiply"), _binop("multiply", True)
    __truediv__, __rtruediv__ = _binop("true_divide"), _binop("true_divide", True)
    __floordiv__, __rfloordiv__ = _binop("floor_divide"), _binop("floor_divide", True)
    __mod__, __rmod__ = _binop("remainder"), _binop("remainder", True)
    __pow__, __rpow__ = _binop("power"), _binop("power", True)
    __matmul__, __rmatmul__ = _binop("matmul"), _binop("matmul", True)
    __and__, __rand__ = _binop("bitwise_and"), _binop("bitwise_and", True)
    __or__, __ror__ = _binop("bitwise_or"), _binop("bitwise_or", True)
    __xor__, __rxor__ = _binop("bitwise_xor"), _binop("bitwise_xor", True)
    __lshift__, __rlshift__ = _binop("left_shift"), _binop("left_shift", True)
    __rshift__, __rrshift__ = _binop("right_shift"), _binop("right_shift", True)
    __eq__, __ne__ = _binop("equal"), _binop("not_equal")
    __lt__, __le__ = _binop("less"), _binop("less_equal")
    __gt__, __ge__ = _binop("greater"), _binop("greater_equal")
    __divmod__, __rdivmod__ = _binop("divmod"), _binop("divmod", True)

    def __neg__(self):
        return _call("negative", self)

    def __pos__(self):
        return _call("positive", self)

    def __abs__(self):
        return _call("absolute", self)

    def __invert__(self):
        return _call("invert", self)

    def __round__(self, ndigits=None):
        if ndigits is None:
            return round(float(self))
        return _jnp().round(self, ndigits)

    __hash__ = None

    # -- conversions --
    def __bool__(self):
        return bool(B.toBool(self._h))

    def __float__(self):
        return float(B.toScalar(self._h, "float"))

    def __int__(self):
        return int(B.toScalar(self._h, "int"))

    def __complex__(self):
        return complex(B.toScalar(self._h, "complex"))

    def __index__(self):
        return int(B.toIndex(self._h))

    def __format__(self, spec):
        if self.ndim == 0 and spec:
            return format(self.item(), spec)
        return format(str(self), spec)

    def item(self, *args):
        if args:
            return self[args if len(args) > 1 else args[0]].item()
        v = B.item(self._h)
        return _python_scalar(v, self._dtype.name)

    def tolist(self):
        data = B.hostData(self._h)
        name = self._dtype.name
        # Typed arrays arrive as memoryviews: converting those is C-speed.
        flat = data.to_py()
        if isinstance(flat, memoryview):
            flat = flat.tolist()
        if name == "bool":
            flat = [bool(v) for v in flat]
        elif name in ("float16", "bfloat16"):
            flat = [float(v) for v in flat]
        return _nest(flat, self._shape)

    # -- sequences --
    def __len__(self):
        if not self._shape:
            raise TypeError("len() of unsized object")
        return self._shape[0]

    def __iter__(self):
        if not self._shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self._shape[0]))

    def __reversed__(self):
        if not self._shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self._shape[0] - 1, -1, -1))

    def __contains__(self, value):
        return bool((self == value).any())

    def __getitem__(self, index):
        from .indexing import getitem

        return getitem(self, index)

    def __setitem__(self, index, value):
        raise TypeError(
            "JAX arrays are immutable and do not support in-place item assignment. Instead of "
            "x[idx] = y, use x = x.at[idx].set(y) or another .at[] method: "
            "https://docs.jax.dev/en/latest/_autosummary/jax.numpy.ndarray.at.html"
        )

    # -- text --
    def __repr__(self):
        return B.repr(self._h)

    def __str__(self):
        return B.str(self._h)

    # -- methods (jnp functions with this array first) --
    all = _method("all")
    any = _method("any")
    argmax = _method("argmax")
    argmin = _method("argmin")
    argsort = _method("argsort")
    clip = _method("clip")
    conj = _method("conj")
    conjugate = _method("conjugate")
    cumprod = _method("cumprod")
    cumsum = _method("cumsum")
    diagonal = _method("diagonal")
    dot = _method("dot")
    max = _method("max")
    mean = _method("mean")
    min = _method("min")
    nonzero = _method("nonzero")
    prod = _method("prod")
    ptp = _method("ptp")
    ravel = _method("ravel")
    repeat = _method("repeat")
    round = _method("round")
    searchsorted = _method("searchsorted")
    sort = _method("sort")
    squeeze = _method("squeeze")
    std = _method("std")
    sum = _method("sum")
    swapaxes = _method("swapaxes")
    take = _method("take")
    trace = _method("trace")
    var = _method("var")

    def astype(self, dtype, copy=False, device=None):
        """This array converted to `dtype` (JAX's convert_element_type)."""
        return from_js(B.method("astype", self._h, to_js([dtypes.name_or_none(dtype)])))

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        return _jnp().reshape(self, shape, order=order)

    def transpose(self, *axes):
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        return _jnp().transpose(self, axes or None)

    def flatten(self, order="C"):
        return _jnp().ravel(self, order=order)

    def copy(self):
        return _jnp().array(self, copy=True)

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def view(self, dtype=None):
        if dtype is None:
            return self
        from jax import lax

        return lax.bitcast_convert_type(self, dtype)

    def block_until_ready(self):
        B.blockUntilReady(self._h)
        return self

    def __jax_array__(self):
        return self


def _python_scalar(v, dtype):
    if dtype == "bool":
        return bool(v)
    if dtypes.is_int(dtype):
        return int(v)
    return float(v)


def _nest(flat, shape):
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return flat
    step = math.prod(shape[1:])
    return [_nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


class ArrayImpl(Array):
    """A concrete array: its buffer is released when this object dies."""

    __slots__ = ()

    def __del__(self):
        try:
            B.release(self._h)
        except Exception:  # noqa: BLE001 — never raise from a finalizer (e.g. at interpreter exit)
            pass

    @property
    def device(self):
        # JAX: the device of a single-device array; an array on several devices gives its sharding.
        from .devices import device_of
        from jax.sharding import sharding_of

        s = sharding_of(self._h)
        return s if s is not None and s.num_devices > 1 else device_of(self)

    def devices(self):
        return set(self.sharding.device_set)

    @property
    def sharding(self):
        from jax.sharding import SingleDeviceSharding, sharding_of

        return sharding_of(self._h) or SingleDeviceSharding(self.device)

    @property
    def is_fully_replicated(self):
        return self.sharding.is_fully_replicated

    @property
    def addressable_shards(self):
        """One Shard per device: its `device`, `index` (slices into this array) and `data`."""
        from .devices import _device

        out = []
        for platform, dev_id, ranges, block in B.shards(self._h):
            # As JAX: a dimension the shard spans whole is `slice(None, None, None)`.
            index = tuple(slice(None) if int(a) == 0 and int(b) == n else slice(int(a), int(b)) for (a, b), n in zip(ranges, self._shape))
            replica = sum(1 for sh in out if sh.index == index)
            out.append(Shard(_device(str(platform), int(dev_id), "cpu" if platform == "cpu" else str(platform)), index, from_js(block), replica))
        return out

    @property
    def committed(self):
        return False

    def is_deleted(self):
        return bool(B.isDeleted(self._h))

    def delete(self):
        B.release(self._h)


class Shard:
    """A piece of an array on one device (`x.addressable_shards`); `replica_id` numbers the devices
    holding the same piece."""

    __slots__ = ("device", "index", "replica_id", "data")

    def __init__(self, device, index, data, replica_id=0):
        self.device = device
        self.index = index
        self.replica_id = replica_id
        self.data = data

    def __repr__(self):
        return f"Shard(device={self.device!r}, index={self.index}, replica_id={self.replica_id}, data={self.data})"


class Tracer(Array):
    """A value inside a transformation (jit, grad, vmap, ...): abstract, or with a known value."""

    __slots__ = ()

    def __repr__(self):
        return B.repr(self._h)

    def __str__(self):
        return B.repr(self._h)

    def tolist(self):
        raise _concretization_error(self, "tolist")

    def __array__(self, *args, **kwargs):
        from jax.errors import TracerArrayConversionError

        raise TracerArrayConversionError(self)


def _concretization_error(t, method):
    from jax.errors import ConcretizationTypeError

    return ConcretizationTypeError(
        f"Abstract tracer value encountered where concrete value is expected: traced array with shape "
        f"{t.aval.str_short()}\nThe problem arose with the `{method}` method."
    )
