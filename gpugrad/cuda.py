"""``gpugrad.cuda``: is CUDA usable here, how many devices, and kernel warm-up."""

from __future__ import annotations

from . import _device as _dev


def is_available() -> bool:
    """True only when CuPy imports and a CUDA device answers. Never raises."""
    return _dev.cuda_is_available()


def device_count() -> int:
    """Number of CUDA devices (0 without CUDA). Never raises."""
    return _dev.cuda_device_count()


def synchronize(device=None) -> None:
    """Wait for all queued work on a CUDA device."""
    _dev.synchronize(device)


def manual_seed(seed: int) -> None:
    """Seed every device's generator (as ``gpugrad.manual_seed``)."""
    _dev.manual_seed(seed)


def warmup(device=None) -> list[str]:
    """Compile every fused kernel now (CuPy caches binaries on disk); returns their names."""
    from . import kernels

    return kernels.warmup(device)
