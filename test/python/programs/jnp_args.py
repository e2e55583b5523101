# jax.numpy calls that do not fit the signature raise CPython's TypeError wording.
import jax.numpy as jnp

for call in ["jnp.linspace(-2, 2, 5, True, False, None, 0, 1)", "jnp.linspace(-2, 2, foo=1)", "jnp.linspace(-2)",
             "jnp.exp(1, 2)", "jnp.where(1)", "jnp.linspace(-2, 2, 5, num=3)", "jnp.linspace(-2, 2, 5).shape"]:
    try:
        print(call, "->", eval(call))
    except TypeError as e:
        print(call, "->", "TypeError:", e)
