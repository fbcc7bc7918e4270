"""``Unflatten``: split one dimension into several (``Flatten``'s inverse)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..tensor import Tensor
from .module import Module, TensorMap


class Unflatten(TensorMap, Module):
    """Reshape dimension ``dim`` into ``unflattened_size`` (one entry may be -1)."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if not isinstance(dim, int):
            raise TypeError(f"Unflatten: dim must be an int (named dimensions are not "
                            f"supported), got {type(dim).__name__}")
        if not isinstance(unflattened_size, (tuple, list)) or not all(
                isinstance(n, int) for n in unflattened_size):
            raise TypeError("unflattened_size must be a tuple of ints, but found "
                            f"{unflattened_size!r}")
        if sum(n == -1 for n in unflattened_size) > 1:
            raise RuntimeError("unflattened_size can have at most one -1 (only one dimension can "
                               "be inferred)")
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        shape = input.shape
        if not -len(shape) <= self.dim < max(len(shape), 1):
            raise IndexError(f"Unflatten: dim {self.dim} is out of range for an input of shape "
                             f"{list(shape)}")
        d = self.dim % len(shape)
        sizes = self.unflattened_size
        known = math.prod(n for n in sizes if n != -1)
        ok = shape[d] % known == 0 if -1 in sizes and known else known == shape[d]
        if not ok:
            raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to "
                               f"the size of dim {self.dim} ({shape[d]}) in the input tensor")
        return input.reshape(shape[:d] + sizes + shape[d + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
