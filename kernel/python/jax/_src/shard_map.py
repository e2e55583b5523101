"""`jax.shard_map`: a function of per-device blocks, run on every device of a mesh (the
runtime's kernel/sharding/shard_map.ts); in_specs are matched to the argument pytrees here."""

import functools

from pyodide.ffi import to_js

from . import tree_util
from .api_util import FlatFun, fun_name, js_list, leaf_value
from .array import from_js
from .bridge import B


def _spec_entries(spec):
    return to_js([list(p) if isinstance(p, tuple) else p for p in spec])


def _is_spec(x):
    from jax.sharding import PartitionSpec

    return isinstance(x, PartitionSpec)


def _specs_for_leaves(specs, treedef, what):
    """One PartitionSpec per leaf of `treedef`, from `specs`, a prefix of it."""
    out = []

    def go(d, s):
        if _is_spec(s):
            out.extend([s] * d.num_leaves)
            return
        got = tree_util._children(s)
        if got is None or d.kind == "leaf" or got[0] != d.kind or len(got[1]) != len(d.children):
            raise ValueError(f"shard_map {what} must be a tree prefix of the corresponding value, got specification {specs!r} for value tree {treedef!r}.")
        for cd, cs in zip(d.children, got[1]):
            go(cd, cs)

    go(treedef, specs)
    return out


def shard_map(f=None, *, mesh, in_specs, out_specs, check_vma=True, check_rep=None, axis_names=None):
    """`shard_map(f, mesh=…, in_specs=…, out_specs=…)`: `f` sees each device's block of its
    arguments (split by in_specs) and its results are assembled by out_specs."""
    if f is None:
        return functools.partial(shard_map, mesh=mesh, in_specs=in_specs, out_specs=out_specs, check_vma=check_vma)
    if _is_spec(out_specs):
        per_output, out_js = False, _spec_entries(out_specs)
    else:
        specs = tree_util.tree_leaves(out_specs, is_leaf=_is_spec)
        per_output, out_js = True, to_js([_spec_entries(s) for s in specs])

    @functools.wraps(f)
    def mapped(*args):
        leaves, in_tree = tree_util.tree_flatten(args)
        specs = _specs_for_leaves(in_specs if isinstance(in_specs, tuple) or _is_spec(in_specs) else tuple(in_specs), in_tree, "in_specs")
        flat = FlatFun(f, in_tree)
        outs = B.shardMapCall(
            flat, fun_name(f), mesh._h, to_js([_spec_entries(s) for s in specs]), out_js, per_output,
            bool(check_vma if check_rep is None else check_rep), js_list(leaf_value(x) for x in leaves),
        )
        return tree_util.tree_unflatten(flat.out_tree, from_js(outs))

    return mapped
