# jax.numpy calls that do not fit the signature raise CPython's TypeError wording.
import jax.numpy as jnp

for call in ["jnp.linspace(-2, 2, 5, True, False, None, 0, 1)", "jnp.linspace(-2, 2, foo=1)", "jnp.linspace(-2)",
             "jnp.exp(1, 2)", "jnp.where(1)", "jnp.linspace(-2, 2, 5, num=3)", "jnp.linspace(-2, 2, 5).shape",
             "jnp.einsum('ij,jk->ik', jnp.ones((2, 3)), jnp.ones((3, 4))).shape", "jnp.einsum('ii', jnp.eye(3))",
             "jnp.sin('a')", "jnp.add(1, 'b')"]:
    try:
        print(call, "->", eval(call))
    except TypeError as e:
        print(call, "->", "TypeError:", e)
