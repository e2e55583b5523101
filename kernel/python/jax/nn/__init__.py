"""`jax.nn`: activation functions and friends, defined as JAX defines them (jax/_src/nn/functions.py),
over jax.numpy and jax.lax — including their custom derivatives where JAX has them."""

import math

from jax import custom_jvp, lax
from jax import numpy as jnp
from jax.scipy.special import logsumexp  # noqa: F401 — jax.nn.logsumexp is the same function


@custom_jvp
def relu(x):
    """max(x, 0); its derivative at 0 is 0, as in JAX."""
    return jnp.maximum(x, 0)


@relu.defjvp
def _relu_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return relu(x), jnp.where(x > 0, t, jnp.zeros_like(t))


@custom_jvp
def relu6(x):
    """min(max(x, 0), 6); derivative 0 at the kinks."""
    return jnp.minimum(jnp.maximum(x, 0), 6.0)


@relu6.defjvp
def _relu6_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return relu6(x), jnp.where((x > 0) & (x < 6), t, jnp.zeros_like(t))


def sigmoid(x):
    return lax.logistic(x)


def softplus(x):
    return jnp.logaddexp(x, 0)


def soft_sign(x):
    return x / (jnp.abs(x) + 1)


def silu(x):
    return x * sigmoid(x)


swish = silu


def log_sigmoid(x):
    return -softplus(-x)


def elu(x, alpha=1.0):
    safe_x = jnp.where(x > 0, 0.0, x)
    return jnp.where(x > 0, x, alpha * jnp.expm1(safe_x))


def celu(x, alpha=1.0):
    return jnp.maximum(x, 0.0) + alpha * jnp.expm1(jnp.minimum(x, 0.0) / alpha)


def selu(x):
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    return scale * elu(x, alpha)


def leaky_relu(x, negative_slope=0.01):
    return jnp.where(x >= 0, x, negative_slope * x)


def hard_tanh(x):
    return jnp.where(x > 1, 1, jnp.where(x < -1, -1, x))


def hard_sigmoid(x):
    return relu6(x + 3.0) / 6.0


def hard_silu(x):
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def gelu(x, approximate=True):
    """The Gaussian error linear unit (the tanh approximation by default, as in JAX)."""
    if approximate:
        c = math.sqrt(2 / math.pi)
        return 0.5 * x * (1 + jnp.tanh(c * (x + 0.044715 * x**3)))
    return 0.5 * x * (1 + lax.erf(x / math.sqrt(2)))


def softmax(x, axis=-1, where=None, initial=None):
    """exp(x) / sum(exp(x)) along axis, computed with the maximum subtracted."""
    x_max = jnp.max(x, axis, where=where, initial=-jnp.inf if where is not None else None, keepdims=True)
    unnormalized = jnp.exp(x - lax.stop_gradient(x_max))
    if where is not None:
        unnormalized = jnp.where(where, unnormalized, 0.0)
    return unnormalized / jnp.sum(unnormalized, axis, where=where, keepdims=True)


def log_softmax(x, axis=-1, where=None, initial=None):
    x_max = jnp.max(x, axis, where=where, initial=-jnp.inf if where is not None else None, keepdims=True)
    shifted = x - lax.stop_gradient(x_max)
    exp_shifted = jnp.exp(shifted)
    if where is not None:
        exp_shifted = jnp.where(where, exp_shifted, 0.0)
    return shifted - jnp.log(jnp.sum(exp_shifted, axis, where=where, keepdims=True))


def one_hot(x, num_classes, *, dtype=jnp.float32, axis=-1):
    """x's integers as one-hot vectors of length num_classes along axis."""
    x = jnp.asarray(x)
    axis = axis % (x.ndim + 1)
    classes = lax.broadcasted_iota(jnp.int32, (1,) * axis + (num_classes,) + (1,) * (x.ndim - axis), axis)
    return (jnp.expand_dims(x, axis) == classes).astype(dtype)


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5, where=None):
    """(x - mean) / sqrt(variance + epsilon) along axis."""
    if mean is None:
        mean = jnp.mean(x, axis, keepdims=True, where=where)
    if variance is None:
        variance = jnp.mean(jnp.square(x), axis, keepdims=True, where=where) - jnp.square(mean)
    return jnp.subtract(x, mean) * lax.rsqrt(variance + epsilon)


normalize = standardize


def glu(x, axis=-1):
    a, b = jnp.split(x, 2, axis=axis)
    return a * sigmoid(b)


from . import initializers  # noqa: E402,F401
