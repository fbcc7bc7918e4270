"""``gpugrad.accelerator``: the device-agnostic view of the accelerator (CUDA, when usable).

As PyTorch's: ``is_available()``, ``current_accelerator()`` (``device(type='cuda')`` or None),
``device_count()``, ``current_device_index()``, ``set_device_index()``, ``synchronize()``; the
last three raise a RuntimeError where no accelerator is available.
"""

from __future__ import annotations

from . import _device as _dev
from ._typing import DeviceLike

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "set_device_index", "synchronize"]

_NONE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    """Whether an accelerator (a CUDA device gpugrad can use) is present. Never raises."""
    return _dev.cuda_is_available()


def current_accelerator(check_available: bool = False) -> _dev.Device | None:
    """``device(type='cuda')`` where CUDA is usable, else None (also None with
    ``check_available=True`` when it is not)."""
    return _dev.Device("cuda") if _dev.cuda_is_available() else None


def device_count() -> int:
    """How many accelerator devices there are (0 without one). Never raises."""
    return _dev.cuda_device_count()


def current_device_index() -> int:
    """The index of the current accelerator device."""
    if not is_available():
        raise RuntimeError(_NONE)
    return _dev.cuda_index()


def set_device_index(device: DeviceLike) -> None:
    """Make ``device`` (an index or ``"cuda:N"``) the current accelerator device; a negative
    index does nothing."""
    if not is_available():
        raise RuntimeError(_NONE)
    if isinstance(device, int) and device < 0:
        return
    _dev.cuda_set_device(_dev.cuda_index(device))


def synchronize(device: DeviceLike | None = None) -> None:
    """Wait for all queued work on the accelerator device."""
    if not is_available():
        raise RuntimeError(_NONE)
    _dev.synchronize(device)
