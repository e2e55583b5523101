# jax.debug.print / jax.debug.callback on traced values: eager, jit (every call), grad/jvp
# (primals, once), vmap (one line per element, as JAX unrolls), inside fori_loop/scan bodies,
# ordered= and the two-call form, JAX's format checks, and the jaxpr text of the callback.
import jax
import jax.numpy as jnp
from jax import lax

x = jnp.array([1.0, 2.0, 3.0])
jax.debug.print("eager x={x}", x=x)
jax.debug.print("eager positional {} {}", x, 2)


@jax.jit
def f(x):
    y = x * 2
    jax.debug.print("jit y={}", y)
    return y + 1


print("f ->", f(x))
print("f ->", f(x + 1))


def g(x):
    jax.debug.print("grad x={x}", x=x)
    return jnp.sum(x**2)


print("grad ->", jax.grad(g)(x))
print("grad jit ->", jax.grad(jax.jit(g))(x))
print("jit grad ->", jax.jit(jax.grad(g))(x))
_, t = jax.jvp(g, (x,), (jnp.ones(3),))
print("jvp ->", t)
jax.vmap(lambda v: jax.debug.print("vmap v={}", v))(jnp.arange(3))
jax.vmap(lambda v, w: jax.debug.print("vmap row={} w={}", v, w), in_axes=(0, None))(jnp.arange(4).reshape(2, 2), 7)


def body(i, c):
    jax.debug.print("fori i={} c={}", i, c)
    return c + i


print("fori ->", lax.fori_loop(0, 3, body, 10))
print("jit fori ->", jax.jit(lambda c: lax.fori_loop(0, 2, body, c))(5))


def step(c, v):
    jax.debug.print("scan c={c} v={v}", c=c, v=v)
    return c + v, c


print("scan ->", lax.scan(step, 0.0, jnp.arange(1.0, 4.0))[0])
jax.debug.print(ordered=True)("two-call {a}", a=jnp.int32(4))
jax.jit(lambda v: jax.debug.print("ordered {}", v, ordered=True))(x)
jax.debug.callback(lambda a, tag: print("callback", tag, a), x, tag="static")
jax.jit(lambda a: jax.debug.callback(lambda v: print("jit callback", v.shape, v.dtype), a))(x)

for fmt, args, kwargs in [("{}", (x, x), {}), ("{y}", (), {"y": 1, "z": 2})]:
    try:
        jax.debug.print(fmt, *args, **kwargs)
    except ValueError as e:
        print("ValueError:", e)
try:
    jax.debug.callback(3, x)
except TypeError as e:
    print("TypeError:", e)

print(jax.make_jaxpr(g)(x))
