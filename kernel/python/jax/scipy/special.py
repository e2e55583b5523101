"""`jax.scipy.special`: special functions over jax.lax and jax.numpy, as JAX defines them."""

from jax import custom_jvp, lax
from jax import numpy as jnp


def erf(x):
    return lax.erf(jnp.asarray(x, dtype=jnp.result_type(x, jnp.float32)))


def erfc(x):
    return lax.erfc(jnp.asarray(x, dtype=jnp.result_type(x, jnp.float32)))


def erfinv(x):
    return lax.erf_inv(jnp.asarray(x, dtype=jnp.result_type(x, jnp.float32)))


def gammaln(x):
    return lax.lgamma(jnp.asarray(x, dtype=jnp.result_type(x, jnp.float32)))


def digamma(x):
    return lax.digamma(jnp.asarray(x, dtype=jnp.result_type(x, jnp.float32)))


def expit(x):
    return lax.logistic(jnp.asarray(x, dtype=jnp.result_type(x, jnp.float32)))


def logit(x):
    x = jnp.asarray(x, dtype=jnp.result_type(x, jnp.float32))
    return lax.log(x / (1 - x))


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    """log(sum(b * exp(a))) along axis, computed stably (the maximum is subtracted first)."""
    a = jnp.asarray(a)
    amax = jnp.max(a, axis=axis, keepdims=True, where=where, initial=-jnp.inf if where is not None else None)
    amax = lax.stop_gradient(jnp.where(jnp.isfinite(amax), amax, 0))
    exp_a = jnp.exp(a - amax)
    if b is not None:
        exp_a = exp_a * b
    sumexp = jnp.sum(exp_a, axis=axis, keepdims=True, where=where)
    sign = jnp.sign(sumexp)
    out = jnp.log(jnp.abs(sumexp)) + amax
    if not keepdims:
        out = jnp.squeeze(out, axis=axis)
        sign = jnp.squeeze(sign, axis=axis)
    if return_sign:
        return out, sign
    if b is not None:
        out = jnp.where(sign < 0, jnp.nan, out)
    return out


@custom_jvp
def xlogy(x, y):
    """x * log(y), with 0 where x == 0 (also when y == 0)."""
    x, y = jnp.asarray(x), jnp.asarray(y)
    safe_y = jnp.where(x == 0, jnp.ones_like(y), y)
    return jnp.where(x == 0, jnp.zeros_like(x * safe_y), x * jnp.log(safe_y))


@xlogy.defjvp
def _xlogy_jvp(primals, tangents):
    (x, y), (tx, ty) = primals, tangents
    out = xlogy(x, y)
    return out, tx * jnp.log(y) + ty * x / y


@custom_jvp
def xlog1py(x, y):
    x, y = jnp.asarray(x), jnp.asarray(y)
    safe_y = jnp.where(x == 0, jnp.zeros_like(y), y)
    return jnp.where(x == 0, jnp.zeros_like(x * safe_y), x * jnp.log1p(safe_y))


@xlog1py.defjvp
def _xlog1py_jvp(primals, tangents):
    (x, y), (tx, ty) = primals, tangents
    return xlog1py(x, y), tx * jnp.log1p(y) + ty * x / (1 + y)


def entr(x):
    x = jnp.asarray(x)
    return jnp.where(x > 0, -xlogy(x, x), jnp.where(x == 0, 0.0, -jnp.inf))


def ndtr(x):
    x = jnp.asarray(x, dtype=jnp.result_type(x, jnp.float32))
    return 0.5 * lax.erfc(-x / jnp.sqrt(2.0).astype(x.dtype))


def softmax(x, axis=-1):
    from jax import nn

    return nn.softmax(x, axis=axis)
