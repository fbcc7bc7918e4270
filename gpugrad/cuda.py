"""``gpugrad.cuda``: is CUDA usable here, its devices, memory, random seeds, kernel warm-up.

Without CUDA these behave as PyTorch's do on a machine without a GPU: ``is_available()`` is
False, ``device_count()``, ``is_initialized()`` and the memory counters read 0 or False,
``manual_seed``/``manual_seed_all``/``seed``/``seed_all``/``empty_cache`` do nothing (seeds are
kept for devices used later), and what needs a device (``current_device``, ``set_device``,
``get_device_name``, ``get_device_properties``, ``synchronize``, ``initial_seed``,
``get_rng_state``) raises a RuntimeError saying why CUDA is unavailable.

Memory counters come from CuPy's memory pool: ``memory_allocated`` is what arrays hold,
``memory_reserved`` what the pool holds, ``max_memory_allocated`` the peak of the first since
CuPy was loaded (or since ``reset_peak_memory_stats``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import _device as _dev
from ._typing import DeviceLike
from .random import Generator
from .tensor import Tensor


def is_available() -> bool:
    """True only when CuPy imports and a CUDA device answers. Never raises."""
    return _dev.cuda_is_available()


def device_count() -> int:
    """Number of CUDA devices (0 without CUDA). Never raises."""
    return _dev.cuda_device_count()


def is_initialized() -> bool:
    """Whether gpugrad has started using CUDA (loaded CuPy and found a device)."""
    return _dev.cuda_is_initialized()


def synchronize(device: DeviceLike | None = None) -> None:
    """Wait for all queued work on a CUDA device."""
    _dev.synchronize(device)


def current_device() -> int:
    """The index of the current CUDA device."""
    return _dev.cuda_index()


def set_device(device: DeviceLike) -> None:
    """Make ``device`` (an index, ``"cuda:N"`` or a ``gpugrad.device``) the current CUDA
    device; a negative index does nothing, as in PyTorch."""
    if isinstance(device, int) and device < 0:
        return
    _dev.cuda_set_device(_dev.cuda_index(device))


@dataclass(frozen=True)
class DeviceProperties:
    """What ``get_device_properties`` reports (PyTorch's attribute names)."""

    name: str
    major: int
    minor: int
    total_memory: int
    multi_processor_count: int


def get_device_properties(device: DeviceLike | None = None) -> DeviceProperties:
    """Name, compute capability, memory and multiprocessors of a CUDA device."""
    p = _dev.cuda_properties(_dev.cuda_index(device))
    name = p["name"]
    return DeviceProperties(name=name.decode() if isinstance(name, bytes) else str(name),
                            major=int(p["major"]), minor=int(p["minor"]),
                            total_memory=int(p["totalGlobalMem"]),
                            multi_processor_count=int(p["multiProcessorCount"]))


def get_device_name(device: DeviceLike | None = None) -> str:
    """The name of a CUDA device (default: the current one)."""
    return get_device_properties(device).name


def get_device_capability(device: DeviceLike | None = None) -> tuple[int, int]:
    """The (major, minor) compute capability of a CUDA device."""
    p = get_device_properties(device)
    return p.major, p.minor


def _memory_index(device: DeviceLike | None) -> int:
    return _dev.cuda_index(device) if _dev.cuda_is_initialized() else 0


def memory_allocated(device: DeviceLike | None = None) -> int:
    """Bytes held by arrays on the device now (0 before CUDA is used)."""
    return _dev.cuda_memory(_memory_index(device))[0]


def max_memory_allocated(device: DeviceLike | None = None) -> int:
    """The most bytes held by arrays at once on the device."""
    return _dev.cuda_memory(_memory_index(device))[2]


def memory_reserved(device: DeviceLike | None = None) -> int:
    """Bytes the memory pool holds on the device (in use or cached for reuse)."""
    return _dev.cuda_memory(_memory_index(device))[1]


def reset_peak_memory_stats(device: DeviceLike | None = None) -> None:
    """Restart ``max_memory_allocated`` from the bytes in use now."""
    if _dev.cuda_is_initialized():
        _dev.cuda_reset_peak(_memory_index(device))


def empty_cache() -> None:
    """Give the memory pool's unused blocks back to the driver."""
    _dev.cuda_empty_cache()


# --- random numbers --------------------------------------------------------------------------


def _current_or_zero() -> int:
    return _dev.cuda_index() if _dev.cuda_is_available() else 0


def manual_seed(seed: int) -> None:
    """Seed the current CUDA device's default generator (kept for later without CUDA)."""
    _dev.seed_cuda(seed, _current_or_zero())


def manual_seed_all(seed: int) -> None:
    """Seed every CUDA device's default generator (also those not used yet)."""
    _dev.seed_cuda(seed)


def seed() -> None:
    """Seed the current CUDA device's default generator non-deterministically."""
    _dev.seed_cuda(_dev.nondeterministic_seed(), _current_or_zero())


def seed_all() -> None:
    """Seed every CUDA device's default generator with one non-deterministic seed."""
    _dev.seed_cuda(_dev.nondeterministic_seed())


def _default(device: DeviceLike | None) -> Generator:
    index = _dev.cuda_index(device)
    return Generator._of(_dev.default_engine(_dev.Device("cuda", index)))


def initial_seed() -> int:
    """The seed the current CUDA device's default generator last started from."""
    return _default(None).initial_seed()


def get_rng_state(device: DeviceLike = "cuda") -> Tensor:
    """The state of a CUDA device's default generator (an int64 CPU Tensor)."""
    return _default(device).get_state()


def set_rng_state(new_state: Tensor, device: DeviceLike = "cuda") -> None:
    """Restore a CUDA device's default generator to a state from ``get_rng_state``."""
    _default(device).set_state(new_state)


def get_rng_state_all() -> list[Tensor]:
    """The states of every CUDA device's default generator ([] without CUDA)."""
    return [get_rng_state(i) for i in range(device_count())]


def set_rng_state_all(new_states: Any) -> None:
    """Restore every CUDA device's default generator (one state per device)."""
    for i, state in enumerate(new_states):
        set_rng_state(state, i)


def warmup(device: DeviceLike | None = None) -> list[str]:
    """Compile every fused kernel now (CuPy caches binaries on disk); returns their names."""
    from . import kernels

    return kernels.warmup(device)
