# Effects inside nested jaxprs survive dead-code elimination (JAX's dce_jaxpr keeps equations
# with effects): a debug.print in a cond branch or loop body, on a value nothing else uses,
# still prints under grad, jit and make_jaxpr.
import jax
import jax.numpy as jnp
from jax import lax


def f(x):
    def yes(v):
        jax.debug.print("cond branch v={}", v * 10)
        return v

    lax.cond(x > 0, yes, lambda v: v, x)  # the cond's result is unused
    return x * x


print("grad cond ->", jax.grad(f)(3.0))
print("jit grad cond ->", jax.jit(jax.grad(f))(2.0))


def g(x):
    def body(i, c):
        jax.debug.print("fori i={} c={}", i, c)
        return c + 1.0

    lax.fori_loop(0, 2, body, x)  # the loop's result is unused
    return jnp.sin(x)


print("grad fori ->", jax.grad(g)(0.0))
print("jit fori ->", jax.jit(g)(0.0))

jaxpr = jax.make_jaxpr(f)(1.0)
print("make_jaxpr keeps the cond:", "cond[" in str(jaxpr), "debug_callback" in str(jaxpr))
jaxpr = jax.make_jaxpr(jax.grad(f))(1.0)
print("grad jaxpr keeps the cond:", "cond[" in str(jaxpr), "debug_callback" in str(jaxpr))


def h(x):
    def yes(v):
        jax.debug.print("inner cond v={}", v)
        return v

    lax.cond(x > 0, yes, lambda v: v, x)
    return x * 2.0


print("vjp of jit ->", float(jax.vjp(jax.jit(h), 1.5)[1](1.0)[0]))


def body(i, c):
    lax.cond(i >= 0, lambda v: jax.debug.print("fori cond i={}", i), lambda v: None, c)
    return c + 1.0


def k(x):
    lax.fori_loop(0, 2, body, x)  # only the cond's print uses the loop
    return x * 3.0


print("jit fori cond ->", jax.jit(k)(1.0))
print("grad fori cond ->", jax.grad(k)(1.0))


def quiet(x):
    lax.cond(x > 0, lambda v: jax.debug.callback(lambda u: None, v * 10), lambda v: None, x)
    return x * x


# Under checkpoint the jvp'd cond (which reads tangents) must stay out of the forward part.
print("grad checkpoint cond ->", jax.grad(jax.checkpoint(quiet))(3.0))
