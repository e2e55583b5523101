"""dtypes as JAX shows them: `x.dtype` is a NumPy-like `dtype('float32')`, and `jnp.float32` is
a scalar type that converts (`jnp.float32(3)` is a float32 array) and compares equal to it."""

import builtins

_ALIASES = {
    "float": "float64", "int": "int64", "bool_": "bool", "double": "float64", "single": "float32",
    "half": "float16", "f2": "float16", "f4": "float32", "f8": "float64", "i1": "int8", "i2": "int16",
    "i4": "int32", "i8": "int64", "u1": "uint8", "u2": "uint16", "u4": "uint32", "u8": "uint64",
    "?": "bool", "b1": "bool", "float_": "float64", "int_": "int64", "uint": "uint64",
}
_INFO = {
    # name: (kind, itemsize)
    "bool": ("b", 1), "int8": ("i", 1), "uint8": ("u", 1), "int16": ("i", 2), "uint16": ("u", 2),
    "int32": ("i", 4), "uint32": ("u", 4), "int64": ("i", 8), "uint64": ("u", 8),
    "float16": ("f", 2), "bfloat16": ("V", 2), "float32": ("f", 4), "float64": ("f", 8), "float0": ("V", 1),
}
_PY_TYPES = {builtins.float: "float64", builtins.int: "int64", builtins.bool: "bool"}


class dtype:
    """A NumPy-style dtype object (`jnp.dtype("float32")`)."""

    __slots__ = ("name",)

    def __new__(cls, obj):
        name = _name_of(obj)
        self = object.__new__(cls)
        self.name = name
        return self

    @property
    def kind(self):
        return _INFO[self.name][0]

    @property
    def itemsize(self):
        return _INFO[self.name][1]

    @property
    def char(self):
        return {"bool": "?", "float32": "f", "float64": "d", "float16": "e", "int32": "i", "int64": "l"}.get(self.name, self.name)

    @property
    def type(self):
        return _SCALAR_TYPES[self.name]

    def __repr__(self):
        return f"dtype('{self.name}')" if self.name != "bfloat16" else "dtype(bfloat16)"

    def __str__(self):
        return self.name

    def __eq__(self, other):
        try:
            return self.name == _name_of(other)
        except TypeError:
            return NotImplemented

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self):
        return hash(self.name)

    def __reduce__(self):
        return (dtype, (self.name,))


def _name_of(obj):
    """The canonical name of anything used as a dtype (name, dtype, scalar type, Python type)."""
    if isinstance(obj, dtype):
        return obj.name
    if isinstance(obj, _ScalarType):
        return obj.dtype.name
    if isinstance(obj, str):
        name = _ALIASES.get(obj, obj)
        if name in _INFO:
            return name
        raise TypeError(f"data type {obj!r} not understood")
    if obj in _PY_TYPES:
        return _PY_TYPES[obj]
    d = getattr(obj, "dtype", None)
    if d is not None and d is not obj:
        return _name_of(d)
    raise TypeError(f"Cannot interpret '{obj!r}' as a data type")


def name_or_none(obj):
    """A dtype argument as the runtime takes it: a name, or None for "not given"."""
    return None if obj is None else _name_of(obj)


class _ScalarType:
    """`jnp.float32` and friends: `jnp.float32(x)` makes an array; `jnp.float32.dtype`."""

    def __init__(self, name):
        self.dtype = dtype(name)
        self.__name__ = name

    def __call__(self, x=0, /):
        from jax import numpy as jnp

        return jnp.asarray(x, dtype=self.dtype)

    def __repr__(self):
        return f"<class 'jax.numpy.{self.__name__}'>"

    def __eq__(self, other):
        try:
            return self.dtype.name == _name_of(other)
        except TypeError:
            return NotImplemented

    def __hash__(self):
        return hash(self.dtype.name)


_SCALAR_TYPES = {name: _ScalarType(name) for name in _INFO if name != "float0"}
bool_ = _SCALAR_TYPES["bool"]
int8, int16, int32, int64 = (_SCALAR_TYPES[n] for n in ("int8", "int16", "int32", "int64"))
uint8, uint16, uint32, uint64 = (_SCALAR_TYPES[n] for n in ("uint8", "uint16", "uint32", "uint64"))
float16, bfloat16, float32, float64 = (_SCALAR_TYPES[n] for n in ("float16", "bfloat16", "float32", "float64"))
float0 = dtype("float0")


def is_float(name):
    return name in ("float16", "bfloat16", "float32", "float64")


def is_int(name):
    return _INFO[name][0] in ("i", "u")
