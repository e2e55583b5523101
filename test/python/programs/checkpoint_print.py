# jax.debug.print inside jax.checkpoint under jax.grad prints as JAX does: in the forward pass
# and again when the backward pass rematerializes the forward (directly, and inside lax.cond).
import jax
import jax.numpy as jnp
from jax import lax


def f_(x):
    y = x + 1.0
    z = y * 2.0
    jax.debug.print("y: {}, z: {}", y, z)
    return jnp.exp(z)


print(f"grad -> {float(jax.grad(jax.checkpoint(f_))(2.0)):.3f}")


def g(x):
    def pos(v):
        jax.debug.print("pos branch v={}", v)
        return jnp.sin(v)

    def neg(v):
        jax.debug.print("neg branch v={}", v)
        return jnp.cos(v)

    return lax.cond(x > 0, pos, neg, x)


print(f"grad cond -> {float(jax.grad(jax.checkpoint(g))(0.5)):.6f}")
print(f"grad cond neg -> {float(jax.grad(jax.checkpoint(g))(-0.5)):.6f}")
print(f"jit grad cond -> {float(jax.jit(jax.grad(jax.checkpoint(g)))(0.5)):.6f}")
print(f"no checkpoint -> {float(jax.grad(g)(0.5)):.6f}")
