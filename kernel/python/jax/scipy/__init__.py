"""`jax.scipy`: `special` (more of SciPy is not in jaxnb)."""

from . import special  # noqa: F401
