"""``gpugrad.linalg``: PyTorch's ``torch.linalg`` norms, plus its matrix products.

``norm`` picks a vector or a matrix norm from ``ord`` and ``dim`` as ``torch.linalg.norm``
does; ``vector_norm`` and ``matrix_norm`` are the two kinds; ``svdvals`` the singular values.
The ops behind them live in ``gpugrad/ops/linalg.py``.
"""

from __future__ import annotations

from .ops.linalg import SingularValues
from .ops.linalg import linalg_norm as norm
from .ops.linalg import matmul as matmul
from .ops.linalg import matrix_norm as matrix_norm
from .ops.linalg import vector_norm as vector_norm
from .tensor import Tensor

__all__ = ["norm", "vector_norm", "matrix_norm", "matmul", "svdvals", "vecdot"]


def svdvals(A: Tensor) -> Tensor:  # noqa: N803  (PyTorch's name)
    """The singular values of a matrix (or of each matrix of a batch), largest first;
    differentiable twice where they are distinct and nonzero."""
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg.svdvals(): argument 'A' must be Tensor, not {type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError(f"linalg.svd: The input tensor A must have at least 2 dimensions. "
                           f"Got {A.ndim} dimensions.")
    if A._data.dtype.kind != "f":
        raise RuntimeError("linalg.svd: Expected a floating point or complex tensor as input.")
    return SingularValues.apply(A)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot product of ``x`` and ``y`` along ``dim`` (broadcasting the other dimensions)."""
    return (x * y).sum(dim)
