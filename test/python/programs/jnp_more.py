"""The rest of jax.numpy from Python: JAX's tuple results, functions taking callables, slices and
nested block lists, size= under jit and its error without it. Expected values are NumPy's."""
import jax, jax.numpy as jnp
print(type(jnp.tril_indices(3)).__name__, type(jnp.nonzero(jnp.array([0, 1, 2]))).__name__, type(jnp.unique(jnp.array([1, 2, 2]), return_counts=True)).__name__)
print(jnp.unique_all(jnp.array([3, 1, 3])))
print(jnp.unique_counts(jnp.array([3, 1, 3])).counts)
print(jnp.delete(jnp.arange(6), slice(None, None, 2)), jnp.insert(jnp.arange(4), slice(1, 3), 9))
print(jnp.block([[jnp.ones((2, 2)), jnp.zeros((2, 1))], [jnp.full((1, 3), 5.0)]]))
print(jnp.apply_along_axis(lambda r: (r ** 2).sum(), 1, jnp.arange(6.0).reshape(2, 3)))
print(jnp.apply_over_axes(jnp.sum, jnp.ones((2, 3, 4)), [0, 2]).shape)
x = jnp.linspace(-2, 2, 5)
print(jnp.piecewise(x, [x < 0, x > 0], [lambda v: -v, lambda v: v * 2]))
print(jax.jit(lambda a, b: jnp.union1d(a, b, size=5, fill_value=-1))(jnp.array([3, 1]), jnp.array([1, 7])))
try:
    jax.jit(jnp.union1d)(jnp.array([3, 1]), jnp.array([1, 7]))
except Exception as e:
    print(type(e).__name__, str(e).splitlines()[0])
print(jnp.gcd(12, 18), jnp.frexp(8.0), jnp.i0(1.0), jnp.polyint(jnp.array([3.0, 2.0])))
print(jnp.fill_diagonal(jnp.zeros((2, 2)), 3.0, inplace=False))
try:
    jnp.fill_diagonal(jnp.zeros((2, 2)), 3.0)
except Exception as e:
    print(type(e).__name__, e)
print(jnp.gradient(jnp.array([1.0, 4.0, 9.0, 16.0]), 2.0))
print(jnp.histogram_bin_edges(jnp.array([0.0, 1.0, 3.0]), 3))
print(jnp.ix_(jnp.array([0, 1]), jnp.array([2, 4]))[1].shape)
print(jax.grad(lambda v: jnp.polyval(jnp.polyder(v), 2.0))(jnp.array([1.0, 2.0, 3.0])))
h, edges = jnp.histogramdd(jnp.array([[0.0, 1.0], [0.5, 0.0], [1.0, 1.0]]), bins=2)
print(type(edges).__name__, len(edges), h.tolist())
print(jnp.fromfunction(lambda i, j: i * 10 + j, (2, 3), dtype=jnp.int32).tolist())
print([a.tolist() for a in jnp.mask_indices(3, jnp.triu, 1)])
print(type(jnp.polydiv(jnp.array([1.0, 3.0, 2.0]), jnp.array([1.0, 1.0]))).__name__, jnp.unstack(jnp.arange(4).reshape(2, 2))[1].tolist())
