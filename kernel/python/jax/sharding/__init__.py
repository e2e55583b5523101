"""`jax.sharding`: meshes of devices, partition specs and shardings (JAX's own classes are
plain Python too). Placing data with a sharding is done by the runtime (kernel/sharding)."""

import math

from jax._src import devices as _devices


class PartitionSpec(tuple):
    """How each array dimension is split over mesh axes: a name, a tuple of names, or None."""

    def __new__(cls, *partitions):
        for p in partitions:
            if not (p is None or isinstance(p, str) or (isinstance(p, tuple) and all(isinstance(n, str) for n in p))):
                raise TypeError(f"PartitionSpec entries must be axis names, tuples of axis names or None; got {p!r}")
        return super().__new__(cls, partitions)

    def __repr__(self):
        return f"PartitionSpec({', '.join(repr(p) for p in self)})"

    def __getitem__(self, i):
        got = super().__getitem__(i)
        return PartitionSpec(*got) if isinstance(i, slice) else got


P = PartitionSpec


class Mesh:
    """A grid of devices with named axes (`Mesh(devices, ('x', 'y'))`; devices as nested lists)."""

    def __init__(self, devices, axis_names, *, axis_types=None):
        shape, flat = _nested_shape(devices)
        names = tuple(axis_names) if isinstance(axis_names, (tuple, list)) else (axis_names,)
        if len(names) != len(shape):
            raise ValueError(f"Mesh requires the ndim of its first argument (`devices`) to equal the length of its second argument (`axis_names`), but got devices.ndim == {len(shape)} and len(axis_names) == {len(names)}.")
        if len(set(names)) != len(names):
            raise ValueError(f"Mesh axis names must be unique, got {names}")
        self.devices_shape = shape
        self.device_list = flat
        self.axis_names = names

    @property
    def shape(self):
        return dict(zip(self.axis_names, self.devices_shape))

    @property
    def axis_sizes(self):
        return self.devices_shape

    @property
    def size(self):
        return math.prod(self.devices_shape)

    @property
    def devices(self):
        return _nest(self.device_list, self.devices_shape)

    def __repr__(self):
        axes = ", ".join(f"{n!r}: {s}" for n, s in self.shape.items())
        return f"Mesh({axes})"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __eq__(self, other):
        return isinstance(other, Mesh) and self.axis_names == other.axis_names and self.devices_shape == other.devices_shape and self.device_list == other.device_list

    def __hash__(self):
        return hash((self.axis_names, self.devices_shape, tuple(d.id for d in self.device_list)))


def _nested_shape(devices):
    if isinstance(devices, (list, tuple)) and devices and isinstance(devices[0], (list, tuple)):
        inner = [_nested_shape(d) for d in devices]
        shapes = {s for s, _ in inner}
        if len(shapes) != 1:
            raise ValueError("Mesh devices must form a rectangular grid")
        return (len(devices),) + shapes.pop(), [d for _, fl in inner for d in fl]
    if isinstance(devices, (list, tuple)):
        return (len(devices),), list(devices)
    return (), [devices]


def _nest(flat, shape):
    if len(shape) <= 1:
        return list(flat)
    step = math.prod(shape[1:])
    return [_nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


class Sharding:
    """Where the pieces of an array live."""


class NamedSharding(Sharding):
    """A sharding over a mesh: `spec` says which mesh axes split each array dimension."""

    def __init__(self, mesh, spec=PartitionSpec(), *, memory_kind=None):
        if not isinstance(mesh, Mesh):
            raise TypeError(f"NamedSharding expects a Mesh, got {mesh!r}")
        spec = spec if isinstance(spec, PartitionSpec) else PartitionSpec(*spec)
        for p in spec:
            for name in (p if isinstance(p, tuple) else (p,)):
                if name is not None and name not in mesh.axis_names:
                    raise ValueError(f"Resource axis: {name} of {spec} is not found in mesh: {tuple(mesh.axis_names)}.")
        self.mesh = mesh
        self.spec = spec

    def __repr__(self):
        return f"NamedSharding(mesh={self.mesh!r}, spec={self.spec!r})"

    def __eq__(self, other):
        return isinstance(other, NamedSharding) and self.mesh == other.mesh and tuple(self.spec) == tuple(other.spec)

    def __hash__(self):
        return hash((self.mesh, tuple(self.spec)))

    @property
    def device_set(self):
        return set(self.mesh.device_list)

    @property
    def num_devices(self):
        return self.mesh.size


class SingleDeviceSharding(Sharding):
    def __init__(self, device, *, memory_kind=None):
        self._device = device

    @property
    def device_set(self):
        return {self._device}

    @property
    def num_devices(self):
        return 1

    def __repr__(self):
        return f"SingleDeviceSharding(device={self._device!r})"

    def __eq__(self, other):
        return isinstance(other, SingleDeviceSharding) and self._device == other._device

    def __hash__(self):
        return hash(self._device)


def make_mesh(axis_shapes, axis_names, *, devices=None, axis_types=None):
    """A mesh over the first prod(axis_shapes) devices (`jax.make_mesh((4, 1), ('x', 'y'))`)."""
    axis_shapes = tuple(int(s) for s in axis_shapes)
    devs = list(devices) if devices is not None else _devices.devices()
    n = math.prod(axis_shapes)
    if len(devs) < n:
        raise ValueError(f"Number of devices {len(devs)} must be >= the product of mesh_shape {axis_shapes}")
    return Mesh(_nest(devs[:n], axis_shapes), axis_names)


def put(array, sharding):
    """`device_put(x, sharding)`."""
    if isinstance(sharding, SingleDeviceSharding):
        return array
    raise NotImplementedError(
        "Placing an array with a NamedSharding needs jaxnb's sharding runtime (kernel/sharding), which this build does not have yet"
    )
