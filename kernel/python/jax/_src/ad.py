"""Automatic differentiation for Python functions, as `jax/_src/api.py` builds it: `jvp`, `vjp`
and `linearize` call the runtime's flat forms (kernel/ad); `grad` and `value_and_grad` are a VJP
with a unit cotangent; `jacfwd`/`jacrev`/`hessian` batch JVPs or VJPs over a standard basis."""

import functools

from . import dtypes, tree_util
from .api_util import FlatFun, fun_name, js_list, leaf_value, normalize_argnums
from .array import Array, Float0Array, from_js
from .bridge import B, js_call


def _jnp():
    from jax import numpy as jnp

    return jnp


def _as_array(x):
    """Python scalars as (weakly typed) arrays, so their dtypes can be checked."""
    return x if isinstance(x, (Array, Float0Array)) else _jnp().asarray(x)


def _argnums_partial(fun, args, kwargs, argnums, what="argnums"):
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    if not nums:
        raise ValueError(f"{what} must be a non-empty int or tuple of ints")
    for i in nums:
        if isinstance(i, int) and i >= len(args):
            raise TypeError(
                f"differentiating with respect to {what}={argnums} requires at least {max(nums) + 1} positional "
                f"arguments to be passed by the caller, but got only {len(args)} positional arguments."
            )
    nums = normalize_argnums(nums, len(args), what)
    dyn = tuple(args[i] for i in nums)

    def f_partial(*dyn_args):
        full = list(args)
        for i, v in zip(nums, dyn_args):
            full[i] = v
        return fun(*full, **kwargs)

    functools.update_wrapper(f_partial, fun)
    return f_partial, dyn


# ---- jvp, vjp, linearize ------------------------------------------------------------------------


def jvp(fun, primals, tangents, has_aux=False):
    """(fun(*primals), the derivative of fun at primals applied to tangents)."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(
            f"primal and tangent arguments to jax.jvp must be tuples or lists; found {type(primals).__name__} and {type(tangents).__name__}."
        )
    p_leaves, p_tree = tree_util.tree_flatten(tuple(primals))
    t_leaves, t_tree = tree_util.tree_flatten(tuple(tangents))
    if p_tree != t_tree:
        raise TypeError(
            f"primal and tangent arguments to jax.jvp must have the same tree structure; primals have tree "
            f"structure {p_tree} whereas tangents have tree structure {t_tree}."
        )
    flat = FlatFun(fun, p_tree, has_aux=has_aux)
    outs, touts = B.jvp(flat, js_list(leaf_value(x) for x in p_leaves), js_list(leaf_value(x) for x in t_leaves))
    out, aux = flat.split(from_js(outs))
    tangent_out = tree_util.tree_unflatten(flat.out_tree, from_js(touts)[: flat.num_out])
    return (out, tangent_out, aux) if has_aux else (out, tangent_out)


def vjp(fun, *primals, has_aux=False, reduce_axes=()):
    """(fun(*primals), vjp_fun): vjp_fun maps an output cotangent to the cotangents of primals."""
    leaves, in_tree = tree_util.tree_flatten(primals)
    flat = FlatFun(fun, in_tree, has_aux=has_aux)
    outs, pullback = B.vjp(flat, js_list(leaf_value(x) for x in leaves))
    out, aux = flat.split(from_js(outs))
    out_tree, num_aux = flat.out_tree, len(from_js(outs)) - flat.num_out

    def vjp_fun(ct):
        ct_leaves, ct_tree = tree_util.tree_flatten(ct)
        if ct_tree != out_tree:
            raise TypeError(
                f"Tree structure of cotangent input {ct_tree}, does not match structure of primal output {out_tree}."
            )
        cts = [leaf_value(c, "cotangent") for c in ct_leaves] + [None] * num_aux
        return tree_util.tree_unflatten(in_tree, from_js(js_call(pullback, js_list(cts))))

    vjp_fun.__name__ = f"vjp({fun_name(fun)})"
    return (out, vjp_fun, aux) if has_aux else (out, vjp_fun)


def linearize(fun, *primals, has_aux=False):
    """(fun(*primals), f_jvp): f_jvp(*tangents) is the JVP at primals, evaluated without re-tracing fun."""
    leaves, in_tree = tree_util.tree_flatten(primals)
    flat = FlatFun(fun, in_tree, has_aux=has_aux)
    outs, lin = B.linearize(flat, js_list(leaf_value(x) for x in leaves))
    out, aux = flat.split(from_js(outs))
    out_tree, num_out = flat.out_tree, flat.num_out

    def f_jvp(*tangents):
        t_leaves, t_tree = tree_util.tree_flatten(tangents)
        if t_tree != in_tree:
            raise ValueError(f"linearized function called on tangent values inconsistent with the original primal values: {t_tree} vs {in_tree}")
        touts = from_js(js_call(lin, js_list(leaf_value(t, "tangent") for t in t_leaves)))
        return tree_util.tree_unflatten(out_tree, touts[:num_out])

    return (out, f_jvp, aux) if has_aux else (out, f_jvp)


# ---- grad ---------------------------------------------------------------------------------------


def _check_input_dtype_grad(holomorphic, allow_int, x):
    name = x.dtype.name
    if dtypes.is_float(name) or allow_int:
        return
    raise TypeError(
        f"grad requires real- or complex-valued inputs (input dtype that is a sub-dtype of np.inexact), "
        f"but got {name}. If you want to use Boolean- or integer-valued inputs, use vjp or set allow_int to True."
    )


def _check_scalar(out):
    if not isinstance(out, Array):
        raise TypeError(f"Gradient only defined for scalar-output functions. Output was {out!r}.")
    if out.shape != ():
        raise TypeError(f"Gradient only defined for scalar-output functions. Output had shape: {out.shape}.")
    if not dtypes.is_float(out.dtype.name):
        raise TypeError(
            f"grad requires real-valued outputs (output dtype that is a sub-dtype of np.floating), but got "
            f"{out.dtype.name}. For holomorphic differentiation, pass holomorphic=True. For differentiation of "
            f"non-holomorphic functions involving complex outputs, use jax.vjp directly."
        )


def value_and_grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False, reduce_axes=()):
    """A function returning (fun(*args), the gradient of fun with respect to args[argnums])."""
    if not callable(fun):
        raise TypeError(f"Expected a callable value, got {fun!r}")

    def value_and_grad_f(*args, **kwargs):
        f_partial, dyn = _argnums_partial(fun, args, kwargs, argnums)
        dyn = tree_util.tree_map(_as_array, dyn)
        for leaf in tree_util.tree_leaves(dyn):
            _check_input_dtype_grad(holomorphic, allow_int, leaf)
        if has_aux:
            ans, vjp_fun, aux = vjp(f_partial, *dyn, has_aux=True)
        else:
            ans, vjp_fun = vjp(f_partial, *dyn)
        _check_scalar(ans)
        g = vjp_fun(_jnp().ones_like(ans))
        g = g[0] if isinstance(argnums, int) else g
        return ((ans, aux), g) if has_aux else (ans, g)

    functools.update_wrapper(value_and_grad_f, fun)
    value_and_grad_f.__name__ = f"value_and_grad({fun_name(fun)})"
    return value_and_grad_f


def grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False, reduce_axes=()):
    """The gradient of a scalar function with respect to its positional argument(s) `argnums`."""
    vg = value_and_grad(fun, argnums, has_aux, holomorphic, allow_int)

    def grad_f_plain(*args, **kwargs):
        return vg(*args, **kwargs)[1]

    def grad_f_aux(*args, **kwargs):
        (_, aux), g = vg(*args, **kwargs)
        return g, aux

    f = grad_f_aux if has_aux else grad_f_plain
    functools.update_wrapper(f, fun)
    f.__name__ = f"grad({fun_name(fun)})"
    return f


# ---- Jacobians ----------------------------------------------------------------------------------


def _std_basis(pytree):
    """The identity matrix over all of a pytree's elements, one row per element, as the pytree's
    leaves stacked behind a leading axis."""
    jnp = _jnp()
    leaves = tree_util.tree_leaves(pytree)
    n = sum(leaf.size for leaf in leaves)
    dtype = jnp.result_type(*leaves) if leaves else jnp.float32
    return _unravel_into_pytree(pytree, 1, jnp.eye(n, dtype=dtype))


def _unravel_into_pytree(pytree, axis, arr):
    """Splits `arr` along `axis` into pieces shaped like the pytree's leaves."""
    jnp = _jnp()
    leaves, treedef = tree_util.tree_flatten(pytree)
    axis = axis % arr.ndim
    sizes = [leaf.size for leaf in leaves]
    bounds, acc = [], 0
    for s in sizes[:-1]:
        acc += s
        bounds.append(acc)
    parts = jnp.split(arr, bounds, axis) if bounds else [arr]
    shapes = [arr.shape[:axis] + tuple(leaf.shape) + arr.shape[axis + 1:] for leaf in leaves]
    return tree_util.tree_unflatten(treedef, [jnp.reshape(p, s) for p, s in zip(parts, shapes)])


def _check_float(what, x):
    if not dtypes.is_float(x.dtype.name):
        raise TypeError(f"{what} requires real-valued inputs and outputs (dtype that is a sub-dtype of np.floating), but got {x.dtype.name}.")


def jacfwd(fun, argnums=0, has_aux=False, holomorphic=False):
    """The Jacobian of `fun` by forward mode: one JVP per input element, batched with vmap."""
    from .batching import vmap

    def jacfun(*args, **kwargs):
        f_partial, dyn = _argnums_partial(fun, args, kwargs, argnums)
        dyn = tree_util.tree_map(_as_array, dyn)
        for leaf in tree_util.tree_leaves(dyn):
            _check_float("jacfwd", leaf)

        def pushfwd(tangents):
            return jvp(f_partial, dyn, tangents, has_aux=has_aux)

        if has_aux:
            y, jac, aux = vmap(pushfwd, out_axes=(None, -1, None))(_std_basis(dyn))
        else:
            y, jac = vmap(pushfwd, out_axes=(None, -1))(_std_basis(dyn))
        example = dyn[0] if isinstance(argnums, int) else dyn
        jac_tree = tree_util.tree_map(lambda y_leaf, j: _unravel_into_pytree(example, -1, j), y, jac)
        return (jac_tree, aux) if has_aux else jac_tree

    functools.update_wrapper(jacfun, fun)
    jacfun.__name__ = f"jacfwd({fun_name(fun)})"
    return jacfun


def jacrev(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    """The Jacobian of `fun` by reverse mode: one VJP per output element, batched with vmap."""
    from .batching import vmap

    def jacfun(*args, **kwargs):
        f_partial, dyn = _argnums_partial(fun, args, kwargs, argnums)
        dyn = tree_util.tree_map(_as_array, dyn)
        for leaf in tree_util.tree_leaves(dyn):
            _check_float("jacrev", leaf)
        if has_aux:
            y, pullback, aux = vjp(f_partial, *dyn, has_aux=True)
        else:
            y, pullback = vjp(f_partial, *dyn)
        jac = vmap(pullback)(_std_basis(y))
        jac = jac[0] if isinstance(argnums, int) else jac
        example = dyn[0] if isinstance(argnums, int) else dyn
        jac_tree = tree_util.tree_map(lambda x_leaf, j: _unravel_into_pytree(y, 0, j), example, jac)
        jac_tree = tree_util.tree_transpose(tree_util.tree_structure(example), tree_util.tree_structure(y), jac_tree)
        return (jac_tree, aux) if has_aux else jac_tree

    functools.update_wrapper(jacfun, fun)
    jacfun.__name__ = f"jacrev({fun_name(fun)})"
    return jacfun


jacobian = jacrev


def hessian(fun, argnums=0, has_aux=False, holomorphic=False):
    """The Hessian of a scalar function: forward over reverse mode."""
    return jacfwd(jacrev(fun, argnums, has_aux=has_aux), argnums, has_aux=has_aux)
