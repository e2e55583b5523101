"""Pytrees, as `jax.tree_util` defines them: tuples, lists, dicts (keys sorted), None,
namedtuples, OrderedDict/defaultdict, and registered classes (`register_pytree_node`,
`register_dataclass`); anything else is a leaf. Flattened in Python; the runtime only sees
flat lists of leaves.
"""

import collections
import dataclasses
import functools

_registry = {}


class _NodeType:
    __slots__ = ("cls", "flatten", "unflatten", "flatten_with_keys", "name")

    def __init__(self, cls, flatten, unflatten, flatten_with_keys=None, name=None):
        self.cls = cls
        self.flatten = flatten
        self.unflatten = unflatten
        self.flatten_with_keys = flatten_with_keys
        self.name = name or cls.__name__


def register_pytree_node(nodetype, flatten_func, unflatten_func, flatten_with_keys_func=None):
    """Registers a class whose instances are pytree nodes: `flatten_func(x) -> (children, aux)`,
    `unflatten_func(aux, children) -> x`."""
    if nodetype in _registry:
        raise ValueError(f"Duplicate custom PyTreeDef type registration for {nodetype}.")
    _registry[nodetype] = _NodeType(nodetype, flatten_func, unflatten_func, flatten_with_keys_func)
    return nodetype


def register_pytree_with_keys(nodetype, flatten_with_keys, unflatten_func, flatten_func=None):
    def flat(x):
        kc, aux = flatten_with_keys(x)
        return [c for _, c in kc], aux

    return register_pytree_node(nodetype, flatten_func or flat, unflatten_func, flatten_with_keys)


def register_pytree_node_class(cls):
    """Class decorator: the class defines `tree_flatten(self)` and `tree_unflatten(cls, aux, children)`."""
    register_pytree_node(cls, lambda x: x.tree_flatten(), cls.tree_unflatten)
    return cls


def register_static(cls):
    """Instances are nodes with no children (treated as part of the structure)."""
    register_pytree_node(cls, lambda x: ((), x), lambda aux, _: aux)
    return cls


def register_dataclass(nodetype=None, data_fields=None, meta_fields=None, drop_fields=()):
    """Registers a dataclass: data fields are children, meta fields part of the structure.
    Without field lists, fields marked `field(metadata=dict(static=True))` are meta fields."""
    if nodetype is None:
        return functools.partial(register_dataclass, data_fields=data_fields, meta_fields=meta_fields, drop_fields=drop_fields)
    if data_fields is None or meta_fields is None:
        if not dataclasses.is_dataclass(nodetype):
            raise TypeError(
                "register_dataclass: data_fields and meta_fields are required when the class is not a dataclass"
            )
        fields = [f for f in dataclasses.fields(nodetype) if f.init and f.name not in drop_fields]
        meta = [f.name for f in fields if f.metadata.get("static", False)]
        data = [f.name for f in fields if not f.metadata.get("static", False)]
        meta_fields = meta if meta_fields is None else meta_fields
        data_fields = data if data_fields is None else data_fields
    data_fields, meta_fields = list(data_fields), list(meta_fields)

    def flatten(x):
        return [getattr(x, n) for n in data_fields], tuple(getattr(x, n) for n in meta_fields)

    def unflatten(aux, children):
        return nodetype(**dict(zip(meta_fields, aux)), **dict(zip(data_fields, children)))

    def flatten_with_keys(x):
        return [(GetAttrKey(n), getattr(x, n)) for n in data_fields], tuple(getattr(x, n) for n in meta_fields)

    register_pytree_node(nodetype, flatten, unflatten, flatten_with_keys)
    return nodetype


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields") and type(x) is not tuple


class PyTreeDef:
    """The structure of a pytree: `kind` is leaf/none/tuple/list/dict/namedtuple/custom."""

    __slots__ = ("kind", "children", "data", "num_leaves", "num_nodes")

    def __init__(self, kind, children=(), data=None):
        self.kind = kind
        self.children = tuple(children)
        self.data = data
        self.num_leaves = 1 if kind == "leaf" else sum(c.num_leaves for c in self.children)
        self.num_nodes = 1 + sum(c.num_nodes for c in self.children)

    def unflatten(self, leaves):
        return tree_unflatten(self, leaves)

    def flatten_up_to(self, tree):
        return _flatten_up_to(self, tree)

    def children_defs(self):
        return list(self.children)

    def __eq__(self, other):
        if not isinstance(other, PyTreeDef):
            return NotImplemented
        if self.kind != other.kind or len(self.children) != len(other.children):
            return False
        if self.kind == "custom":
            if self.data[0] is not other.data[0] or not _aux_equal(self.data[1], other.data[1]):
                return False
        elif self.data != other.data:
            return False
        return all(a == b for a, b in zip(self.children, other.children))

    def __hash__(self):
        return hash((self.kind, len(self.children), self.num_leaves))

    def _str(self):
        k = self.kind
        if k == "leaf":
            return "*"
        if k == "none":
            return "None"
        parts = [c._str() for c in self.children]
        if k == "tuple":
            return f"({parts[0]},)" if len(parts) == 1 else f"({', '.join(parts)})"
        if k == "list":
            return f"[{', '.join(parts)}]"
        if k == "dict":
            return "{" + ", ".join(f"{key!r}: {p}" for key, p in zip(self.data[0], parts)) + "}"
        if k == "namedtuple":
            return f"CustomNode(namedtuple[{self.data.__name__}], [{', '.join(parts)}])"
        node, aux = self.data
        return f"CustomNode({node.name}[{aux!r}], [{', '.join(parts)}])"

    def __repr__(self):
        return f"PyTreeDef({self._str()})"


def _aux_equal(a, b):
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 — aux data that cannot be compared (arrays) compares by identity
        return a is b


_LEAF = PyTreeDef("leaf")


def _children(x):
    """(kind, children, data) of a node, or None for a leaf."""
    if x is None:
        return "none", (), None
    t = type(x)
    node = _registry.get(t)
    if node is not None:
        children, aux = node.flatten(x)
        return "custom", list(children), (node, aux)
    if t is tuple:
        return "tuple", x, None
    if t is list:
        return "list", x, None
    if isinstance(x, dict):
        keys = sorted(x) if not isinstance(x, collections.OrderedDict) else list(x)
        return "dict", [x[k] for k in keys], (tuple(keys), t, getattr(x, "default_factory", None))
    if _is_namedtuple(x):
        return "namedtuple", list(x), t
    return None


def tree_flatten(tree, is_leaf=None):
    """(leaves, treedef) of a pytree."""
    leaves = []

    def go(x):
        if is_leaf is not None and is_leaf(x):
            leaves.append(x)
            return _LEAF
        got = _children(x)
        if got is None:
            leaves.append(x)
            return _LEAF
        kind, children, data = got
        return PyTreeDef(kind, [go(c) for c in children], data)

    return leaves, go(tree)


def _build(d, it):
    k = d.kind
    if k == "leaf":
        return next(it)
    if k == "none":
        return None
    children = [_build(c, it) for c in d.children]
    if k == "tuple":
        return tuple(children)
    if k == "list":
        return children
    if k == "dict":
        keys, cls, factory = d.data
        items = zip(keys, children)
        if cls is collections.defaultdict:
            return collections.defaultdict(factory, items)
        return cls(items) if cls is not dict else dict(items)
    if k == "namedtuple":
        return d.data(*children)
    node, aux = d.data
    return node.unflatten(aux, children)


def tree_unflatten(treedef, leaves):
    leaves = list(leaves)
    if len(leaves) != treedef.num_leaves:
        raise ValueError(f"Too {'few' if len(leaves) < treedef.num_leaves else 'many'} leaves for PyTreeDef; expected {treedef.num_leaves}, got {len(leaves)}.")
    return _build(treedef, iter(leaves))


def tree_leaves(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[1]


def _flatten_up_to(treedef, tree):
    """The subtrees of `tree` at the leaves of `treedef` (tree must have treedef as a prefix)."""
    out = []

    def go(d, x):
        if d.kind == "leaf":
            out.append(x)
            return
        got = _children(x)
        if got is None or got[0] != d.kind or len(got[1]) != len(d.children) or (d.kind == "dict" and got[2][0] != d.data[0]):
            raise ValueError(f"Tree structure mismatch: expected {d!r}, got {tree_structure(x)!r}")
        for cd, cx in zip(d.children, got[1]):
            go(cd, cx)

    go(treedef, tree)
    return out


def tree_map(f, tree, *rest, is_leaf=None):
    leaves, treedef = tree_flatten(tree, is_leaf)
    all_leaves = [leaves] + [treedef.flatten_up_to(r) for r in rest]
    return treedef.unflatten(f(*xs) for xs in zip(*all_leaves))


def tree_reduce(function, tree, initializer=..., is_leaf=None):
    leaves = tree_leaves(tree, is_leaf)
    if initializer is ...:
        return functools.reduce(function, leaves)
    return functools.reduce(function, leaves, initializer)


def tree_all(tree, *, is_leaf=None):
    return all(tree_leaves(tree, is_leaf))


def tree_transpose(outer_treedef, inner_treedef, pytree_to_transpose):
    flat = outer_treedef.flatten_up_to(pytree_to_transpose)
    inner = [inner_treedef.flatten_up_to(x) for x in flat]
    transposed = list(zip(*inner)) if inner else [()] * inner_treedef.num_leaves
    return inner_treedef.unflatten(outer_treedef.unflatten(col) for col in transposed)


def all_leaves(iterable, is_leaf=None):
    return all(tree_structure(x, is_leaf) == _LEAF for x in iterable)


def treedef_is_leaf(treedef):
    return treedef.num_nodes == 1 and treedef.kind == "leaf"


def treedef_children(treedef):
    return list(treedef.children)


# ---- key paths ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SequenceKey:
    idx: int

    def __str__(self):
        return f"[{self.idx!r}]"


@dataclasses.dataclass(frozen=True)
class DictKey:
    key: object

    def __str__(self):
        return f"[{self.key!r}]"


@dataclasses.dataclass(frozen=True)
class GetAttrKey:
    name: str

    def __str__(self):
        return f".{self.name}"


@dataclasses.dataclass(frozen=True)
class FlattenedIndexKey:
    key: int

    def __str__(self):
        return f"[<flat index {self.key}>]"


def keystr(keys):
    return "".join(str(k) for k in keys)


def tree_flatten_with_path(tree, is_leaf=None):
    out = []

    def go(path, x):
        if is_leaf is not None and is_leaf(x):
            out.append((path, x))
            return
        got = _children(x)
        if got is None:
            out.append((path, x))
            return
        kind, children, data = got
        if kind == "dict":
            keys = [DictKey(k) for k in data[0]]
        elif kind == "namedtuple":
            keys = [GetAttrKey(n) for n in data._fields]
        elif kind == "custom" and data[0].flatten_with_keys is not None:
            keys = [k for k, _ in data[0].flatten_with_keys(x)[0]]
        elif kind == "custom":
            keys = [FlattenedIndexKey(i) for i in range(len(children))]
        else:
            keys = [SequenceKey(i) for i in range(len(children))]
        for k, c in zip(keys, children):
            go(path + (k,), c)

    go((), tree)
    return out, tree_structure(tree, is_leaf)


def tree_leaves_with_path(tree, is_leaf=None):
    return tree_flatten_with_path(tree, is_leaf)[0]


def tree_map_with_path(f, tree, *rest, is_leaf=None):
    with_path, treedef = tree_flatten_with_path(tree, is_leaf)
    others = [treedef.flatten_up_to(r) for r in rest]
    return treedef.unflatten(f(p, x, *(o[i] for o in others)) for i, (p, x) in enumerate(with_path))


class Partial(functools.partial):
    """`jax.tree_util.Partial`: a functools.partial whose bound arguments are pytree children."""


register_pytree_node(
    Partial,
    lambda p: ((p.args, p.keywords), p.func),
    lambda func, children: Partial(func, *children[0], **children[1]),
)
