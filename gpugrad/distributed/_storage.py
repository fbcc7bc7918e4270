"""The few places where collectives touch a tensor's storage and gradient arrays directly.

Collectives work in place on the arrays behind tensors (NumPy on the CPU, CuPy on CUDA), outside
the autograd graph. Every such access lives here, so the rest of the package uses only these
helpers and the public API.
"""

from __future__ import annotations

from typing import Any

from .. import _device as _dev
from ..tensor import Tensor, _wrap


def array(t: Tensor) -> Any:
    """The NumPy or CuPy array that holds ``t``'s elements (no copy)."""
    return t._data


def written(t: Tensor) -> None:
    """Record that ``t``'s storage was changed in place (autograd's version counter)."""
    t._version.v += 1


def wrap(a: Any) -> Tensor:
    """A tensor around the array ``a`` (no copy), outside any graph."""
    return _wrap(a, None)


def grad_array(t: Tensor) -> Any | None:
    """The array of ``t.grad`` (no copy), or None."""
    return t._grad


def set_grad_array(t: Tensor, g: Any | None) -> None:
    """Make ``g`` (an array shaped and typed like ``t``, or None) the gradient of ``t``."""
    t._grad = g


def xp_of(a: Any) -> Any:
    """The array module (NumPy or CuPy) of the array ``a``."""
    return _dev.array_module(a)
