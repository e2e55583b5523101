"""`jax.dtypes`: dtype helpers."""

from jax._src.dtypes import bfloat16, dtype, float0  # noqa: F401


def canonicalize_dtype(dt):
    from jax._src.array import _canonical

    return dtype(_canonical(dtype(dt).name))


def result_type(*args, return_weak_type_flag=False):
    from jax import numpy as jnp

    return jnp.result_type(*args)


def issubdtype(a, b):
    from jax import numpy as jnp

    return jnp.issubdtype(a, b)
