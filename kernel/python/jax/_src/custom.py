"""`jax.custom_jvp`, `jax.custom_vjp` and `jax.checkpoint` for Python functions. Pytrees are
flattened here: the runtime's versions (kernel/ad/custom_jvp.ts, custom_vjp.ts, checkpoint.ts)
see functions of flat leaf lists, and their rules' results are unflattened back."""

import functools

from pyodide.ffi import create_proxy

from . import tree_util
from .api_util import ensure_tuple, fun_name, js_list, leaf_value
from .array import from_js
from .bridge import B, js_call


class _Flat:
    """A Python function of the user's pytrees as a function of flat handles, for the runtime.
    `kind` says what it returns: "out" a pytree; "pair" a pair of pytrees; "cts" one cotangent
    per argument (None for zero)."""

    def __init__(self, fn, kind, owner):
        self.fn = fn
        self.kind = kind
        self.owner = owner

    def __call__(self, *handles):
        o = self.owner
        if self.kind == "out":
            out = self.fn(*o.unflatten_args(handles))
            leaves, o.out_tree = tree_util.tree_flatten(out)
            return [leaf_value(x) for x in leaves]
        if self.kind == "jvp":
            primals, tangents = (o.unflatten_args(h) for h in handles)
            pair = self.fn(*o.static_args, tuple(primals), tuple(tangents))
            return self._pair(pair, "JVP rule", "primal and tangent outputs")
        if self.kind == "fwd":
            pair = self.fn(*o.merge(o.unflatten_args(handles)))
            return self._pair(pair, "VJP fwd rule", "primal output and residuals")
        res, ct = handles
        residuals = tree_util.tree_unflatten(o.res_tree, [from_js(h) for h in res])
        cotangent = tree_util.tree_unflatten(o.out_tree, [from_js(h) for h in ct])
        cts = self.fn(*o.static_args, residuals, cotangent)
        return o.flatten_cotangents(cts, fun_name(self.fn))

    def _pair(self, pair, what, parts):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise TypeError(
                f"Custom {what} {fun_name(self.fn)} for function {fun_name(self.owner.fun)} must produce a pair "
                f"(list or tuple of length two) representing {parts}, but got {pair!r}."
            )
        first, second = pair
        first_leaves, first_tree = tree_util.tree_flatten(first)
        second_leaves, second_tree = tree_util.tree_flatten(second)
        if self.kind == "fwd":
            self.owner.res_tree = second_tree
        self.owner.out_tree = first_tree
        return [[leaf_value(x) for x in first_leaves], [leaf_value(x) if x is not None else None for x in second_leaves]]


class _CustomBase:
    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = ensure_tuple(nondiff_argnums)
        self.out_tree = None
        self.res_tree = None
        self._proxies = []
        self._js = None
        # Per call: the static (nondiff) arguments and the structure of the others.
        self.static_args = ()
        self._in_tree = None
        self._nargs = 0

    def _proxy(self, fn, kind):
        p = create_proxy(_Flat(fn, kind, self))
        self._proxies.append(p)
        return p

    def unflatten_args(self, handles):
        return tree_util.tree_unflatten(self._in_tree, [from_js(h) for h in handles])

    def merge(self, dyn):
        it = iter(dyn)
        statics = dict(zip(self.nondiff_argnums, self.static_args))
        return [statics[i] if i in statics else next(it) for i in range(self._nargs)]

    def flatten_cotangents(self, cts, rule):
        args = self._in_tree.children
        if not isinstance(cts, (tuple, list)) or len(cts) != len(args):
            raise TypeError(
                "Custom VJP bwd rule must produce an output with the same container (pytree) structure as the args "
                "tuple of the primal function, and in particular must produce a tuple of length equal to the number "
                f"of arguments to the primal function, but got bwd output structure {tree_util.tree_structure(cts)} "
                f"for primal input structure {self._in_tree}."
            )
        out = []
        for ct, arg in zip(cts, args):
            if ct is None:
                out.extend([None] * arg.num_leaves)
            else:
                out.extend(None if c is None else leaf_value(c, "cotangent") for c in arg.flatten_up_to(ct))
        return out

    def __call__(self, *args, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__} functions are called with positional arguments only; got {sorted(kwargs)}")
        if self._js is None:
            raise AttributeError(f"No {self._rule_name} defined for {type(self).__name__} function {fun_name(self.fun)} using {self._def_name}.")
        self._nargs = len(args)
        nondiff = {i % len(args) for i in self.nondiff_argnums} if args else set()
        self.static_args = tuple(args[i] for i in sorted(nondiff))
        dyn = [a for i, a in enumerate(args) if i not in nondiff]
        leaves, self._in_tree = tree_util.tree_flatten(tuple(dyn))
        outs = js_call(self._js, *[leaf_value(x) for x in leaves])
        return tree_util.tree_unflatten(self.out_tree, from_js(outs))

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def __del__(self):
        for p in self._proxies:
            try:
                p.destroy()
            except Exception:  # noqa: BLE001 — finalizers never raise
                pass


class custom_jvp(_CustomBase):
    """A function with a custom JVP rule (`@jax.custom_jvp`, then `@f.defjvp`)."""

    _rule_name, _def_name = "JVP", "defjvp"

    def _primal(self, dyn):
        return self.fun(*self.merge(dyn))

    def defjvp(self, jvp, symbolic_zeros=False):
        if symbolic_zeros:
            raise NotImplementedError("custom_jvp.defjvp(symbolic_zeros=True) is not supported in jaxnb")
        self._js = B.customJvp(self._proxy(lambda *dyn: self._primal(dyn), "out"), fun_name(self.fun), self._proxy(jvp, "jvp"), fun_name(jvp))
        return jvp

    def defjvps(self, *jvps):
        """One rule per argument: `jvp_i(g, ans, *primals)` gives the output tangent along tangent g of argument i."""
        def jvp(primals, tangents):
            ans = self.fun(*primals)
            out = None
            for rule, g in zip(jvps, tangents):
                if rule is None:
                    continue
                t = rule(g, ans, *primals)
                out = t if out is None else tree_util.tree_map(lambda a, b: a + b, out, t)
            if out is None:
                out = tree_util.tree_map(lambda a: a * 0, ans)
            return ans, out

        jvp.__name__ = f"{fun_name(self.fun)}_jvps"
        self.defjvp(jvp)


class custom_vjp(_CustomBase):
    """A function with custom forward and backward passes (`@jax.custom_vjp`, then `f.defvjp(fwd, bwd)`)."""

    _rule_name, _def_name = "VJP", "defvjp"

    def defvjp(self, fwd, bwd, symbolic_zeros=False, optimize_remat=False):
        if symbolic_zeros:
            raise NotImplementedError("custom_vjp.defvjp(symbolic_zeros=True) is not supported in jaxnb")
        self._js = B.customVjp(
            self._proxy(lambda *dyn: self.fun(*self.merge(dyn)), "out"), fun_name(self.fun),
            self._proxy(fwd, "fwd"), fun_name(fwd), self._proxy(bwd, "bwd"), fun_name(bwd),
        )


def checkpoint(fun=None, *, prevent_cse=True, policy=None, static_argnums=()):
    """Rematerialization: the function's intermediates are recomputed on the backward pass
    instead of saved (except those `policy` allows to be saved)."""
    if fun is None:
        return lambda f: checkpoint(f, prevent_cse=prevent_cse, policy=policy, static_argnums=static_argnums)
    statics = ensure_tuple(static_argnums)
    policy_name = getattr(policy, "__name__", None) if policy is not None else None

    @functools.wraps(fun)
    def remat_f(*args, **kwargs):
        n = len(args)
        fixed = {i % n for i in statics} if n else set()
        dyn = [a for i, a in enumerate(args) if i not in fixed]
        leaves, in_tree = tree_util.tree_flatten((dyn, kwargs))
        state = {}

        def flat(*handles):
            d, kw = tree_util.tree_unflatten(in_tree, [from_js(h) for h in handles])
            it = iter(d)
            out = fun(*[args[i] if i in fixed else next(it) for i in range(n)], **kw)
            out_leaves, state["tree"] = tree_util.tree_flatten(out)
            return [leaf_value(x) for x in out_leaves]

        outs = B.checkpointCall(flat, fun_name(fun), prevent_cse, policy_name, js_list(leaf_value(x) for x in leaves))
        return tree_util.tree_unflatten(state["tree"], from_js(outs))

    return remat_f


remat = checkpoint


class checkpoint_policies:
    """The saving policies of `jax.checkpoint` (by name; the runtime implements them)."""

    @staticmethod
    def everything_saveable(*_):
        return True

    @staticmethod
    def nothing_saveable(*_):
        return False

    @staticmethod
    def dots_saveable(*_):
        return True

    @staticmethod
    def dots_with_no_batch_dims_saveable(*_):
        return True

    checkpoint_dots = dots_saveable
    checkpoint_dots_with_no_batch_dims = dots_with_no_batch_dims_saveable
