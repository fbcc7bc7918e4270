"""Devices: where a tensor's storage lives, and the array module that computes on it.

This is the only module that imports CuPy. It does so lazily, on the first question about CUDA,
and treats every failure (CuPy missing, no driver, no device) as "CUDA unavailable": importing
gpugrad never raises because of CUDA. Where NumPy and CuPy differ, the difference lives here.
"""

from __future__ import annotations

import contextlib
from typing import Any, cast

import numpy as np

_INSTALL_HINT = (
    "install CuPy for your CUDA version on a machine with an NVIDIA GPU and driver: "
    'pip install "gpugrad[cuda12]" (or "gpugrad[cuda13]"); from a source checkout, '
    'pip install ".[cuda12]" (or ".[cuda13]")'
)


class Device:
    """A device: ``Device("cpu")``, ``Device("cuda")``, ``Device("cuda:1")``, ``Device("cuda", 1)``.

    ``"cuda"`` without an index means the current CUDA device; tensors always report a concrete
    index.
    """

    __slots__ = ("type", "index")
    type: str
    index: int | None

    def __init__(self, spec: str | Device = "cpu", index: int | None = None) -> None:
        if isinstance(spec, Device):
            kind, idx = spec.type, spec.index
        elif isinstance(spec, str):
            kind, _, rest = spec.strip().partition(":")
            idx = None
            if rest:
                if not rest.isdigit():
                    raise ValueError(f"invalid device {spec!r}: the index must be a number")
                idx = int(rest)
        else:
            raise TypeError(f"device must be a string like 'cpu' or 'cuda:0', got {spec!r}")
        if kind not in ("cpu", "cuda"):
            raise ValueError(f"unknown device type {kind!r} in {spec!r}: expected 'cpu' or 'cuda'")
        if index is not None:
            if idx is not None and idx != index:
                raise ValueError(f"device {spec!r} given with a different index {index}")
            idx = int(index)
        if kind == "cpu" and idx not in (None, 0):
            raise ValueError(f"the cpu device has no index {idx}")
        self.type = kind
        self.index = None if kind == "cpu" else idx

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = Device(other)
            except (ValueError, TypeError):
                return False
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"


CPU = Device("cpu")

# ---------------------------------------------------------------------------------------------
# CuPy, loaded once on demand.

_cupy = None
_cupy_error: str | None = None
_cupy_checked = False


def _load_cupy():
    global _cupy, _cupy_error, _cupy_checked
    if _cupy_checked:
        return _cupy
    _cupy_checked = True
    try:
        import cupy

        n = cupy.cuda.runtime.getDeviceCount()
        if n < 1:
            raise RuntimeError("the CUDA driver reports no device")
        _cupy = cupy
    except Exception as e:  # ImportError, CUDARuntimeError, driver errors: all mean unavailable
        _cupy_error = f"{type(e).__name__}: {e}".strip()
        _cupy = None
    return _cupy


def cuda_is_available() -> bool:
    """True only when CuPy imports and at least one CUDA device answers. Never raises."""
    return _load_cupy() is not None


def cuda_device_count() -> int:
    """The number of CUDA devices CuPy sees; 0 when CUDA is unavailable. Never raises."""
    cp = _load_cupy()
    if cp is None:
        return 0
    try:
        return int(cp.cuda.runtime.getDeviceCount())
    except Exception:
        return 0


def cupy():
    """The CuPy module, or a RuntimeError saying why CUDA is unavailable and how to fix it."""
    cp = _load_cupy()
    if cp is None:
        raise RuntimeError(f"CUDA is not available ({_cupy_error}); {_INSTALL_HINT}")
    return cp


def _check_cuda_index(index: int) -> None:
    n = cuda_device_count()
    if index >= n:
        raise RuntimeError(f"CUDA device {index} requested, but only {n} CUDA device(s) exist")


def resolve(device) -> Device:
    """A concrete Device (CUDA with its index); raises if CUDA is asked for and absent."""
    d = device if isinstance(device, Device) else Device(device)
    if d.type == "cuda":
        cp = cupy()
        if d.index is None:
            d = Device("cuda", cp.cuda.runtime.getDevice())
        else:
            _check_cuda_index(d.index)
    return d


# Array types that stand in for NumPy or CuPy arrays (gpugrad.compile's recording arrays):
# each names its array module in ``xp``; those registered as host arrays count as NumPy's.
_proxies: dict[type, bool] = {}
_HOST: tuple[type[Any], ...] = (np.ndarray, np.generic)
_HOST_ARRAYS: tuple[type[Any], ...] = (np.ndarray,)


def register_array_proxy(cls: type, host: bool) -> None:
    """Let instances of ``cls`` stand in for arrays: ``array_module`` answers their ``xp``,
    and with ``host`` they count as host (NumPy) arrays in every device question."""
    global _HOST, _HOST_ARRAYS
    _proxies[cls] = host
    if host and cls not in _HOST:
        _HOST, _HOST_ARRAYS = _HOST + (cls,), _HOST_ARRAYS + (cls,)


def array_module(array):
    """NumPy for host arrays, CuPy for device arrays (a proxy array's own ``xp``)."""
    if isinstance(array, np.ndarray):
        return np
    if array.__class__ in _proxies:
        return array.xp
    return cupy()


def device_of(array) -> Device:
    if isinstance(array, _HOST):
        return CPU
    return Device("cuda", array.device.id)


def xp_of(device: Device):
    return np if device.type == "cpu" else cupy()


def to_device(array, device: Device):
    """``array`` (NumPy, CuPy, or anything array-like) on ``device``; no copy if already there."""
    if device.type == "cpu":
        if isinstance(array, _HOST_ARRAYS):
            return array
        if hasattr(array, "get") and not isinstance(array, np.generic):
            return array.get()
        return np.asarray(array)
    cp = cupy()
    if array.__class__ in _proxies and cast(Any, array).device.id == device.index:
        return array
    with cp.cuda.Device(device.index):
        if isinstance(array, cp.ndarray) and array.device.id != device.index:
            return cp.array(array, copy=True)  # a peer copy to this device
        return cp.asarray(array)


def synchronize(device=None) -> None:
    """Wait for all work on the CUDA device to finish (a no-op without CUDA work)."""
    cp = cupy()
    d = resolve(device if device is not None else "cuda")
    with cp.cuda.Device(d.index):
        cp.cuda.Device().synchronize()


def same_device_or_raise(a, b) -> None:
    """Raise, naming both devices, unless the arrays ``a`` and ``b`` live on one device."""
    host = _HOST
    host_a, host_b = isinstance(a, host), isinstance(b, host)
    if host_a and host_b or not (host_a or host_b) and a.device.id == b.device.id:
        return
    raise RuntimeError(
        "Expected all tensors to be on the same device, but found at least two devices, "
        f"{device_of(a)} and {device_of(b)}!"
    )


# ---------------------------------------------------------------------------------------------
# Where NumPy and CuPy differ.


def fix_scalar(x):
    """NumPy turns 0-d results into scalars (``np.tanh(0-d array)``, ``a.sum()``): make them
    0-d arrays again. Everything else passes through unchanged."""
    if x.__class__ is not np.ndarray and isinstance(x, np.generic):
        return np.asarray(x)
    return x


def constant(a, like):
    """A non-Tensor op argument as something the array module of ``like`` takes: a Python
    number, or an array on ``like``'s device. A floating constant never promotes a floating
    tensor (it takes the tensor's dtype)."""
    if isinstance(a, np.generic):
        return a.item()
    if isinstance(a, (int, float, bool)):
        return a
    xp = array_module(like)
    arr = xp.asarray(a) if xp is np else to_device(a, device_of(like))
    if arr.dtype.kind == "f" and like.dtype.kind == "f":
        arr = arr.astype(like.dtype, copy=False)
    return arr


def to_host(array) -> np.ndarray:
    """A NumPy array with ``array``'s values: the array itself on the CPU, a copy from a GPU."""
    if isinstance(array, np.ndarray):
        return array
    return array.get()


def on_device(device: Device):
    """A context manager making ``device`` current for CuPy allocations (a no-op on the CPU)."""
    if device.type == "cpu":
        return contextlib.nullcontext()
    return cupy().cuda.Device(device.index)


def scatter_add(target, index, values) -> None:
    """``target[index] += values`` with repeated indices accumulated (NumPy's ``add.at``)."""
    if isinstance(target, _HOST_ARRAYS):
        np.add.at(target, index, values)
    elif target.__class__ in _proxies:
        cast(Any, target).xp.scatter_add(target, index, values)
    else:
        import cupyx

        cupyx.scatter_add(target, index, values)


def erf(x, out=None):
    """The error function, elementwise, on either device."""
    if isinstance(x, _HOST_ARRAYS):
        from scipy.special import erf as _erf
    elif x.__class__ in _proxies:
        return x.xp.erf(x, out=out)
    else:
        from cupyx.scipy.special import erf as _erf
    return _erf(x) if out is None else _erf(x, out=out)


# ---------------------------------------------------------------------------------------------
# Random numbers: one generator per device, all reseeded by manual_seed.

_seed: int | None = None
_generators: dict = {}


def manual_seed(seed: int) -> None:
    """Seed every device's generator, so that every random function is reproducible."""
    global _seed
    _seed = int(seed)
    _generators.clear()


def generator(device: Device):
    """The random generator of ``device``: a NumPy Generator, or a CuPy RandomState on CUDA."""
    g = _generators.get(device)
    if g is None:
        if device.type == "cpu":
            g = np.random.default_rng(_seed)
        else:
            cp = cupy()
            with cp.cuda.Device(device.index):
                index = device.index or 0
                g = cp.random.RandomState(None if _seed is None else _seed + index)
        _generators[device] = g
    return g


def _float_kind(dtype):
    dtype = np.dtype(dtype)
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float32)


#: While gpugrad.compile records a call, it draws through this (and records the draw).
sample_hook = None


def _sample(device: Device, on_host, on_cuda):
    """A draw from ``device``'s generator: ``on_host(Generator)`` or ``on_cuda(RandomState)``."""
    if sample_hook is not None:
        return sample_hook(device, on_host, on_cuda)
    return draw(device, on_host, on_cuda)


def draw(device: Device, on_host, on_cuda):
    """``_sample`` itself, never recorded."""
    g = generator(device)
    if device.type == "cpu":
        return on_host(g)
    with cupy().cuda.Device(device.index):
        return on_cuda(g)


def random_normal(device: Device, shape, dtype):
    kind = _float_kind(dtype)

    def draw(g):
        return g.standard_normal(shape, dtype=kind)

    return _sample(device, draw, draw).astype(dtype, copy=False)


def random_uniform(device: Device, shape, dtype):
    """Uniform on [0, 1)."""
    kind = _float_kind(dtype)
    out = _sample(device, lambda g: g.random(shape, dtype=kind),
                  lambda g: g.random_sample(shape, dtype=kind))
    return out.astype(dtype, copy=False)


def random_integers(device: Device, low: int, high: int, shape, dtype):
    """Integers uniform on [low, high)."""
    out = _sample(device, lambda g: g.integers(low, high, size=shape, dtype=np.int64),
                  lambda g: g.randint(low, high, size=shape, dtype=np.int64))
    return out.astype(dtype, copy=False)


def random_permutation(device: Device, n: int):
    def draw(g):
        return g.permutation(n)

    return _sample(device, draw, draw).astype(np.int64, copy=False)
