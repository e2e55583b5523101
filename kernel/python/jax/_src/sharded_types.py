"""The type of a sharded array as `jax.typeof` shows it: `ShapedArray(float32[8@x,4])`, each
dimension split over Explicit mesh axes marked `@axis` (`@(x,y)` for several), as JAX prints
sharding in types. Auto axes do not appear in types, as in JAX."""

from .bridge import B
from .core import _SHORT, ShapedArray


class ShardedShapedArray(ShapedArray):
    __slots__ = ("_shape_text",)

    def __init__(self, shape, dtype, weak_type, shape_text):
        super().__init__(shape, dtype, weak_type)
        self._shape_text = shape_text

    def str_short(self, short_dtypes=True):
        name = _SHORT[self.dtype.name] if short_dtypes else self.dtype.name
        return f"{name}[{self._shape_text}]"

    def __repr__(self):
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapedArray({self.str_short(short_dtypes=False)}{weak})"


def typeof_array(x):
    """`jax.typeof` of a concrete array: its aval, with the sharding of Explicit axes."""
    aval = x.aval
    text = B.shardedShape(x._handle())
    if text is None or "@" not in str(text):
        return aval
    return ShardedShapedArray(aval.shape, aval.dtype, aval.weak_type, str(text))
