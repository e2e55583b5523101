# Buffers are released when their Python arrays die — unless the runtime may still use them
# (a jitted function's constant). Prints one line per check.
import gc

import jax
import jax.numpy as jnp
from jax._src.bridge import B

x = jnp.ones(1000) * 2
h = x._handle()
del x
gc.collect()
print("released after del:", bool(B.isDeleted(h)))

y = jnp.arange(3.0)
view = jnp.asarray(y)
hy = y._handle()
del view
gc.collect()
print("shared array kept while another Python array holds it:", not bool(B.isDeleted(hy)), y.tolist())

c = jnp.arange(3.0) + 1
f = jax.jit(lambda a: a + c)
print("jit with a closed-over array:", f(1.0).tolist())
hc = c._handle()
del c
gc.collect()
print("constant kept for the jitted function:", not bool(B.isDeleted(hc)), f(2.0).tolist())

total = 0.0
for i in range(50):
    big = jnp.ones(200_000) * i
    total += float(big[0])
print("loop of temporaries:", total)

p0 = jnp.arange(3.0) + 2
out, pullback = jax.vjp(lambda a: a * a, p0)
l0 = jnp.arange(3.0) + 1
u, f_jvp = jax.linearize(lambda a: a * a, l0)
del p0, l0
gc.collect()
print("vjp/linearize keep their primals:", pullback(jnp.ones(3))[0].tolist(), f_jvp(jnp.ones(3)).tolist())
