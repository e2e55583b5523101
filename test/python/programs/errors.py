# Each case raises; prints "Kind: first line of the message" (compared with JAX's in the test).
import jax
import jax.numpy as jnp


def show(name, fn):
    try:
        fn()
        print(f"{name} -> no error")
    except Exception as e:  # noqa: BLE001
        kind = type(e).__qualname__ if type(e).__module__ == "builtins" else f"{type(e).__module__}.{type(e).__qualname__}"
        print(f"{name} -> {kind}: {str(e).splitlines()[0] if str(e) else ''}")


@jax.jit
def branch(x):
    if x > 0:
        return x
    return -x


def x_squared_int(x):
    return x * x


show("tracer bool", lambda: branch(1.0))
show("tracer float", lambda: jax.jit(lambda x: float(x))(1.0))
show("grad non-scalar", lambda: jax.grad(lambda x: x * 2)(jnp.ones(3)))
show("grad int input", lambda: jax.grad(x_squared_int)(3))
show("immutable", lambda: jnp.zeros(3).__setitem__(0, 1.0))
show("broadcast", lambda: jnp.ones(3) + jnp.ones(4))
show("reshape", lambda: jnp.ones(6).reshape(4, 2))
show("int overflow", lambda: jnp.int32(2) + 2**40)
show("vmap sizes", lambda: jax.vmap(lambda a, b: a + b)(jnp.ones(3), jnp.ones(4)))
show("vmap in_axes", lambda: jax.vmap(lambda a: a, in_axes=(0, 0))(jnp.ones(3)))
show("static unhashable", lambda: jax.jit(lambda x, n: x, static_argnums=1)(1.0, [1, 2]))
show("config", lambda: jax.config.update("jax_no_such_option", True))
show("len scalar", lambda: len(jnp.array(1.0)))
show("jvp structure", lambda: jax.jvp(lambda a: a, (1.0,), (1.0, 2.0)))
show("unknown jnp", lambda: jnp.no_such_function)
show("plot kwarg", lambda: __import__("matplotlib.pyplot").pyplot.plot([1, 2], [3, 4], wobble=3))
