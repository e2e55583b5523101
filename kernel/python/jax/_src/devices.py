"""Devices as JAX lists them. The number of CPU devices follows
`XLA_FLAGS=--xla_force_host_platform_device_count=N` (read at every device query, so setting it
through `os.environ` mid-session works, as the post does) unless `jax_num_cpu_devices` was set."""

import os

from .bridge import B

_devices = {}


class Device:
    """A device (`CpuDevice(id=0)`); the same object for the same device every time."""

    __slots__ = ("platform", "id", "device_kind", "__weakref__")

    def __init__(self, platform, id, kind):
        self.platform = platform
        self.id = id
        self.device_kind = kind

    @property
    def process_index(self):
        return 0

    @property
    def host_id(self):
        return 0

    @property
    def client(self):
        return None

    def __repr__(self):
        if self.platform == "cpu":
            return f"CpuDevice(id={self.id})"
        return f"WebGpuDevice(id={self.id}, kind={self.device_kind!r})"

    def __str__(self):
        return f"{'TFRT_CPU' if self.platform == 'cpu' else 'WebGPU'}_{self.id}"


def _device(platform, id, kind):
    key = (platform, id)
    d = _devices.get(key)
    if d is None:
        d = _devices[key] = Device(platform, id, kind)
    return d


def _sync_cpu_count():
    # The runtime reads the flag from its own environment: give it Python's.
    B.setXlaFlags(os.environ.get("XLA_FLAGS", ""))


def _parse(entries):
    out = []
    for e in entries:
        platform, id, kind = str(e).split("|", 2)
        out.append(_device(platform, int(id), kind))
    return out


def default_backend():
    return str(B.defaultBackend())


def devices(backend=None):
    """The devices of `backend` (default: the default backend), e.g. `[CpuDevice(id=0)]`."""
    _sync_cpu_count()
    platform = backend.platform if isinstance(backend, Device) else backend
    return _parse(B.deviceList(platform))


def local_devices(process_index=None, backend=None, host_id=None):
    return devices(backend)


def device_count(backend=None):
    return len(devices(backend))


def local_device_count(backend=None):
    return device_count(backend)


def process_index(backend=None):
    return 0


def process_count(backend=None):
    return 1


def device_of(array):
    platform, id, kind = str(B.deviceOf(array._handle())).split("|", 2)
    return _device(platform, int(id), kind)
