# The post's computations and a set of transformations, printed as JSON for comparison with
# NumPy/PyTorch references (test/fixtures/python.json).
import json

import jax
import jax.numpy as jnp
from jax import grad, jit, lax, vmap


def func(x):
    return jnp.exp(-x ** 2) * jnp.cos(jnp.exp(x ** 2))


x_jnp = jnp.linspace(-2, 2, 10000)
out = {
    "post_f": func(x_jnp).tolist(),
    "post_df": vmap(grad(func))(x_jnp).tolist(),
    "post_jit": jit(func)(x_jnp).tolist(),
    "grad_sin_x2": grad(lambda x: jnp.sum(jnp.sin(x) * x**2))(jnp.array([0.5, 1.0, 1.5])).tolist(),
    "hessian": jax.hessian(lambda v: jnp.sum(v**3) + v[0] * v[1])(jnp.array([1.0, 2.0])).tolist(),
    "jacobian": jax.jacfwd(lambda v: jnp.stack([v[0] * v[1], jnp.sin(v[0])]))(jnp.array([0.3, 0.7])).tolist(),
    "jacrev": jax.jacrev(lambda v: jnp.stack([v[0] * v[1], jnp.sin(v[0])]))(jnp.array([0.3, 0.7])).tolist(),
    "logsumexp": float(jax.scipy.special.logsumexp(jnp.array([1.0, 2.0, 3.0]))),
    "softmax": jax.nn.softmax(jnp.array([1.0, 2.0, 3.0])).tolist(),
    "relu": jax.nn.relu(jnp.array([-1.0, 0.0, 2.0])).tolist(),
    "gelu": jax.nn.gelu(jnp.array([-1.0, 0.0, 2.0])).tolist(),
}

carry, ys = lax.scan(lambda c, x: (c + x, c + x), 0.0, jnp.arange(1.0, 6.0))
out["scan_carry"] = float(carry)
out["scan_ys"] = ys.tolist()
out["fori"] = int(lax.fori_loop(0, 10, lambda i, acc: acc + i * i, 0))
out["while"] = int(lax.while_loop(lambda v: v < 50, lambda v: v * 2, 1))


@jax.custom_vjp
def clip_gradient(lo, hi, x):
    return x


def clip_fwd(lo, hi, x):
    return x, (lo, hi)


def clip_bwd(res, g):
    lo, hi = res
    return (None, None, jnp.clip(g, lo, hi))


clip_gradient.defvjp(clip_fwd, clip_bwd)
out["custom_vjp_grad"] = grad(lambda x: jnp.sum(clip_gradient(-1.0, 1.0, x) * 3.0))(jnp.array([0.5, 2.0])).tolist()
out["split"] = jax.random.split(jax.random.key(0), 3).tolist()
print(json.dumps(out))
