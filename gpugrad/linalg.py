"""``gpugrad.linalg``: PyTorch's ``torch.linalg`` norms, plus its matrix products.

``norm`` picks a vector or a matrix norm from ``ord`` and ``dim`` as ``torch.linalg.norm``
does; ``vector_norm`` and ``matrix_norm`` are the two kinds; ``svdvals`` the singular values.
``inv``, ``solve``, ``det``, ``slogdet`` and ``cholesky`` are differentiable (twice and more);
``qr``, ``eigh`` and ``svd`` compute values only.
The ops behind them live in ``gpugrad/ops/linalg.py``.
"""

from __future__ import annotations

from .ops.extra import LinAlgError as LinAlgError
from .ops.extra import det as det
from .ops.extra import inverse as inv
from .ops.extra import linalg_cholesky as cholesky
from .ops.extra import linalg_cross as cross
from .ops.extra import linalg_eigh as eigh
from .ops.extra import linalg_qr as qr
from .ops.extra import linalg_solve as solve
from .ops.extra import linalg_svd as svd
from .ops.extra import slogdet as slogdet
from .ops.linalg import SingularValues
from .ops.linalg import linalg_norm as norm
from .ops.linalg import matmul as matmul
from .ops.linalg import matrix_norm as matrix_norm
from .ops.linalg import vector_norm as vector_norm
from .tensor import Tensor

__all__ = ["norm", "vector_norm", "matrix_norm", "matmul", "svdvals", "vecdot", "cross", "inv",
           "solve", "det", "slogdet", "cholesky", "qr", "eigh", "svd", "LinAlgError"]


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
