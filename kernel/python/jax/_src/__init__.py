"""The implementation behind the public `jax` modules (as in JAX, `jax._src` is private)."""
