# Collectives over a vmapped axis (vmap(f, axis_name='i')): the post's 64 points as 16 rows of 4.
import json
import jax
import jax.numpy as jnp
from jax import lax

rows = jnp.linspace(-2, 2, 64).reshape(16, 4)
named = dict(axis_name="i")
print(json.dumps({
    "psum": jax.vmap(lambda v: lax.psum(v, "i"), **named)(rows).tolist(),
    "centered": jax.jit(jax.vmap(lambda v: v - lax.pmean(v, "i"), **named))(rows).tolist(),
    "pmax": jax.vmap(jax.jit(lambda v: lax.pmax(v, "i")), **named)(rows).tolist(),
    "all_gather_tiled": jax.vmap(lambda v: lax.all_gather(v, "i", tiled=True), **named)(rows).tolist(),
    "axis_index": jax.vmap(lambda v: lax.axis_index("i"), **named)(rows).tolist(),
}))
