"""The named tuples that ops with several results return, named as ``torch.return_types``.

Each is a ``NamedTuple`` (indexing, unpacking, ``.values``/``.indices``) that prints as
PyTorch's do::

    gpugrad.return_types.max(
    values=tensor([3., 2.]),
    indices=tensor([1, 0]))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["aminmax", "cummax", "cummin", "kthvalue", "max", "median", "min", "mode",
           "nanmedian", "sort", "topk"]


def _repr(self: Any) -> str:
    fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
    return f"gpugrad.return_types.{type(self).__name__}(\n{fields})"


class max(NamedTuple):  # noqa: N801, A001  (PyTorch's name)
    """``max(dim)``: the largest values over ``dim`` and their indices."""

    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return _repr(self)


class min(NamedTuple):  # noqa: N801, A001
    """``min(dim)``: the smallest values over ``dim`` and their indices."""

    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return _repr(self)


class aminmax(NamedTuple):  # noqa: N801
    """``aminmax()``: the minimum and the maximum."""

    min: Tensor
    max: Tensor

    def __repr__(self) -> str:
        return _repr(self)


class sort(NamedTuple):  # noqa: N801
    """``sort``: the sorted values and the indices they came from."""

    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return _repr(self)


class topk(NamedTuple):  # noqa: N801
    """``topk``: the k values and their indices."""

    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return _repr(self)


class kthvalue(NamedTuple):  # noqa: N801
    """``kthvalue``: the k-th smallest values and their indices."""

    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return _repr(self)


class median(NamedTuple):  # noqa: N801
    """``median(dim)``: the medians and their indices."""

    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return _repr(self)


class nanmedian(NamedTuple):  # noqa: N801
    """``nanmedian(dim)``: the medians ignoring NaN and their indices."""

    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return _repr(self)


class mode(NamedTuple):  # noqa: N801
    """``mode``: the most frequent values and the index of their last occurrence."""

    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return _repr(self)


class cummax(NamedTuple):  # noqa: N801
    """``cummax``: the running maxima and the indices they come from."""

    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return _repr(self)


class cummin(NamedTuple):  # noqa: N801
    """``cummin``: the running minima and the indices they come from."""

    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return _repr(self)
