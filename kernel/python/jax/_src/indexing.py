"""NumPy indexing of arrays (`x[idx]`) and JAX's functional updates (`x.at[idx].set(v)`): the
Python index becomes the runtime's structured spec (kernel/numpy/indexing.ts) — ints, slices as
`{slice: [start, stop, step]}`, None (newaxis), "...", integer or boolean arrays."""

import operator

from js import Object
from pyodide.ffi import to_js

from .array import Array, from_js, to_option, to_value
from .bridge import B


def _slice_part(v):
    if v is None:
        return None
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError(f"slice indices must be integers or None or have an __index__ method, got {v!r}") from None


def _entry(e):
    if e is None:
        return None
    if e is Ellipsis:
        return "..."
    if isinstance(e, slice):
        return to_js({"slice": to_js([_slice_part(e.start), _slice_part(e.stop), _slice_part(e.step)])}, dict_converter=Object.fromEntries)
    if isinstance(e, bool):
        return e
    if isinstance(e, int):
        return e
    if isinstance(e, (Array, list)):
        return to_value(e)
    if isinstance(e, float):
        raise TypeError(f"Indexer must have integer or boolean type, got indexer with type {type(e).__name__}")
    if hasattr(e, "__index__"):
        return operator.index(e)
    raise TypeError(f"Indexing mode not yet supported. Got unsupported indexer at position 0 of type {type(e).__name__}: {e!r}")


def index_spec(idx):
    """The runtime's spec for a Python index (a tuple is a multi-dimensional index)."""
    if isinstance(idx, tuple):
        return to_js([_entry(e) for e in idx])
    return _entry(idx)


def getitem(x, idx):
    return from_js(B.getitem(x._handle(), index_spec(idx), None))


def _options(kwargs):
    return to_js({k: to_option(v) for k, v in kwargs.items() if v is not None}, dict_converter=Object.fromEntries) if kwargs else None


class IndexUpdateRef:
    """`x.at[idx]`: `.set(v)`, `.add(v)`, `.multiply(v)`, `.divide(v)`, `.power(v)`, `.min(v)`,
    `.max(v)`, `.get()`, each returning a new array (JAX arrays are immutable)."""

    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array = array
        self.index = index

    def __repr__(self):
        return f"_IndexUpdateRef({self.array!r}, {self.index!r})"

    def _update(self, op, values, kwargs):
        return from_js(B.updateAt(self.array._handle(), index_spec(self.index), op, to_value(values), _options(kwargs)))

    def get(self, *, indices_are_sorted=False, unique_indices=False, mode=None, fill_value=None):
        return from_js(B.getitem(self.array._handle(), index_spec(self.index), _options({"mode": mode, "fill_value": fill_value})))

    def set(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return self._update("set", values, {"indices_are_sorted": indices_are_sorted, "unique_indices": unique_indices, "mode": mode})

    def add(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return self._update("add", values, {"indices_are_sorted": indices_are_sorted, "unique_indices": unique_indices, "mode": mode})

    def multiply(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return self._update("multiply", values, {"indices_are_sorted": indices_are_sorted, "unique_indices": unique_indices, "mode": mode})

    mul = multiply

    def divide(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return self._update("divide", values, {"indices_are_sorted": indices_are_sorted, "unique_indices": unique_indices, "mode": mode})

    def power(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return self._update("power", values, {"indices_are_sorted": indices_are_sorted, "unique_indices": unique_indices, "mode": mode})

    def min(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return self._update("min", values, {"indices_are_sorted": indices_are_sorted, "unique_indices": unique_indices, "mode": mode})

    def max(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return self._update("max", values, {"indices_are_sorted": indices_are_sorted, "unique_indices": unique_indices, "mode": mode})

    def apply(self, func, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return self.set(func(self.get()), mode=mode)


class IndexUpdateHelper:
    """`x.at`: indexed by `[idx]` to give an IndexUpdateRef."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index):
        return IndexUpdateRef(self.array, index)

    def __repr__(self):
        return f"_IndexUpdateHelper({self.array!r})"
