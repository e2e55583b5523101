# Prints each expression and JAX's repr (or str) of its value; test/python/cli.test.ts compares
# them with the text JAX would print (test/fixtures/python.json, made with NumPy's array2string).
import jax.numpy as jnp

EXPRESSIONS = [
    "jnp.array([1.0, 2.0, 3.0])",
    "jnp.arange(6).reshape(2, 3)",
    "jnp.array(3.0)",
    "jnp.array([True, False])",
    "jnp.zeros((2, 2), jnp.int32)",
    "jnp.arange(10**6)",
    "jnp.linspace(0, 1, 5)",
    "jnp.float32(2)",
    "jnp.ones((3, 4)) / 3",
    "jnp.arange(30).reshape(3, 10) * 1000",
    "jnp.zeros((0, 3))",
]
for expr in EXPRESSIONS:
    print(f"### {expr}")
    print(repr(eval(expr)))
for expr in ["str(jnp.array([1.5, -2.0]))", "str(jnp.arange(4))"]:
    print(f"### {expr}")
    print(eval(expr))
