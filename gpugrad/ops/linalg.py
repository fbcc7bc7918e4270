"""Linear algebra: matmul with 1-d, 2-d, batched and broadcast-batch operands."""

from __future__ import annotations

import numpy as np

from ..autograd import Op
from ..tensor import Tensor
from ._registry import method

__all__ = ["matmul"]


class MatMul(Op):
    saved_inputs = (0, 1)

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError("both arguments to matmul need to be at least 1D")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({'x'.join(map(str, a.shape))} and "
                f"{'x'.join(map(str, b.shape))})"
            )
        if a.ndim > 2 or b.ndim > 2:
            try:
                np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
            except ValueError:
                raise RuntimeError(
                    f"matmul: the batch dimensions of {list(a.shape)} and {list(b.shape)} "
                    f"({list(a.shape[:-2])} and {list(b.shape[:-2])}) do not broadcast"
                ) from None
        self.a, self.b = a, b
        return a @ b

    def backward(self, gy):
        a, b = self.a, self.b
        xp = self.xp
        if a.ndim == 1 and b.ndim == 1:
            return gy * b, gy * a
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = gy
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        ga = gb = None
        if self.needs[0]:
            ga = g2 @ xp.swapaxes(b2, -1, -2)
            if a.ndim == 1:
                ga = ga[..., 0, :]
        if self.needs[1]:
            gb = xp.swapaxes(a2, -1, -2) @ g2
            if b.ndim == 1:
                gb = gb[..., :, 0]
        return ga, gb


@method("matmul", "__matmul__")
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy's rules: 1-d operands, batches, broadcast batch dimensions."""
    return MatMul.apply(input, other)


@method("__rmatmul__")
def _rmatmul(input: Tensor, other: Tensor) -> Tensor:
    """``other @ input``."""
    return MatMul.apply(other, input)
