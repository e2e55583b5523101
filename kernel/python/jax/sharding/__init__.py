"""`jax.sharding`: meshes of devices, partition specs and shardings. Meshes and NamedShardings
are the runtime's (kernel/sharding), so placement, reprs and errors are JAX's; PartitionSpec is a
tuple, as in JAX."""

import enum

from pyodide.ffi import to_js

from jax._src import devices as _devices
from jax._src import named_sharding as _named_sharding  # noqa: F401 (registers DuplicateSpecError)
from jax._src import sharding_log as _sharding_log  # noqa: F401 (the runtime's log to Python logging)
from jax._src.bridge import B


class PartitionSpec(tuple):
    """How each array dimension is split over mesh axes: a name, a tuple of names, or None."""

    def __new__(cls, *partitions):
        for p in partitions:
            if not (p is None or isinstance(p, str) or (isinstance(p, tuple) and all(isinstance(n, str) for n in p))):
                raise TypeError(f"PartitionSpec entries must be axis names, tuples of axis names or None; got {p!r}")
        return super().__new__(cls, partitions)

    def __repr__(self):
        return f"PartitionSpec{tuple.__repr__(self)}"

    def __getitem__(self, i):
        got = super().__getitem__(i)
        return PartitionSpec(*got) if isinstance(i, slice) else got

    def _js(self):
        return to_js([list(p) if isinstance(p, tuple) else p for p in self])


P = PartitionSpec


def _device_key(d):
    return f"{d.platform}|{d.id}"


def _nested_keys(devices):
    if isinstance(devices, (list, tuple)):
        return [_nested_keys(d) for d in devices]
    return _device_key(devices)


class AxisType(enum.Enum):
    """How a mesh axis is sharded: by the compiler (Auto), in the types (Explicit), or by hand inside shard_map (Manual)."""

    Auto = enum.auto()
    Explicit = enum.auto()
    Manual = enum.auto()

    def __repr__(self):
        return self.name


def _axis_types(types, n):
    """Axis types for the runtime: their names (one type stands for every axis), or None for Auto."""
    if types is None:
        return None
    types = tuple(types) if isinstance(types, (tuple, list)) else (types,) * n
    if not all(isinstance(t, AxisType) for t in types):
        raise TypeError(f"axis_types must be jax.sharding.AxisType members, got {types}")
    return to_js([t.name for t in types])


class Mesh:
    """A grid of devices with named axes: `Mesh(devices, ('x', 'y'))`, devices as nested lists."""

    def __init__(self, devices, axis_names, *, axis_types=None):
        names = tuple(axis_names) if isinstance(axis_names, (tuple, list)) else (axis_names,)
        self._h = B.mesh(to_js(_nested_keys(devices)), to_js(list(names)), _axis_types(axis_types, len(names)))

    @classmethod
    def _from_handle(cls, h):
        self = object.__new__(cls)
        self._h = h
        return self

    def _info(self):
        shape, names, devs = B.meshInfo(self._h)
        parsed = [_devices._device(*(lambda p, i, k: (p, int(i), k))(*str(d).split("|", 2))) for d in devs]
        return tuple(int(s) for s in shape), tuple(str(n) for n in names), parsed

    @property
    def axis_names(self):
        return self._info()[1]

    @property
    def axis_sizes(self):
        return self._info()[0]

    @property
    def axis_types(self):
        return tuple(AxisType[str(t)] for t in B.meshAxisTypes(self._h))

    @property
    def shape(self):
        shape, names, _ = self._info()
        return dict(zip(names, shape))

    @property
    def size(self):
        n = 1
        for s in self.axis_sizes:
            n *= s
        return n

    @property
    def devices(self):
        shape, _, devs = self._info()
        return _nest(devs, shape)

    def __repr__(self):
        return str(B.text(self._h))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __eq__(self, other):
        return isinstance(other, Mesh) and bool(self._h.equals(other._h))

    def __hash__(self):
        return hash(repr(self))


def _nest(flat, shape):
    if len(shape) <= 1:
        return list(flat)
    step = 1
    for s in shape[1:]:
        step *= s
    return [_nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


class Sharding:
    """Where the pieces of an array live."""


class NamedSharding(Sharding):
    """A sharding over a mesh: `spec` says which mesh axes split each array dimension."""

    def __init__(self, mesh, spec=PartitionSpec(), *, memory_kind=None):
        if not isinstance(mesh, Mesh):
            raise TypeError(f"NamedSharding expects a Mesh, got {mesh!r}")
        spec = spec if isinstance(spec, PartitionSpec) else PartitionSpec(*spec)
        self.mesh = mesh
        self.spec = spec
        self._h = B.namedSharding(mesh._h, spec._js())

    @classmethod
    def _from_handle(cls, h):
        self = object.__new__(cls)
        self._h = h
        self.mesh = Mesh._from_handle(h.mesh)
        self.spec = PartitionSpec(*(tuple(e) if not isinstance(e, str) and e is not None else e for e in B.specEntries(h)))
        return self

    def __repr__(self):
        return str(B.text(self._h))

    def __eq__(self, other):
        return isinstance(other, NamedSharding) and bool(self._h.equals(other._h))

    def __hash__(self):
        return hash(repr(self))

    @property
    def device_set(self):
        return set(d for row in _flatten(self.mesh.devices) for d in [row])

    @property
    def num_devices(self):
        return self.mesh.size

    @property
    def is_fully_replicated(self):
        return bool(self._h.isFullyReplicated())


def _flatten(xs):
    for x in xs:
        if isinstance(x, list):
            yield from _flatten(x)
        else:
            yield x


class SingleDeviceSharding(Sharding):
    def __init__(self, device, *, memory_kind=None):
        self._device = device

    @property
    def device_set(self):
        return {self._device}

    @property
    def num_devices(self):
        return 1

    @property
    def is_fully_replicated(self):
        return True

    def __repr__(self):
        return f"SingleDeviceSharding(device={self._device!r})"

    def __eq__(self, other):
        return isinstance(other, SingleDeviceSharding) and self._device == other._device

    def __hash__(self):
        return hash(self._device)


def make_mesh(axis_shapes, axis_names, *, devices=None, axis_types=None):
    """A mesh over the first prod(axis_shapes) devices (`jax.make_mesh((4, 1), ('x', 'y'))`)."""
    _devices._sync_cpu_count()
    devs = to_js([_device_key(d) for d in devices]) if devices is not None else None
    return Mesh._from_handle(B.makeMesh(to_js([int(s) for s in axis_shapes]), to_js(list(axis_names)), devs, _axis_types(axis_types, len(axis_names))))


def put(array, sharding, path=None):
    """`device_put(x, sharding)`; `path` names a jit argument placed by in_shardings (for JAX's errors)."""
    from jax._src.array import from_js, to_value

    if isinstance(sharding, SingleDeviceSharding):
        from jax._src.api import device_put

        return device_put(array, sharding._device)
    return from_js(B.shardedPut(to_value(array), sharding._h, path))


def sharding_of(handle):
    """The NamedSharding of a runtime array, or None for one on a single device."""
    h = B.shardingOf(handle)
    return NamedSharding._from_handle(h) if h is not None else None
