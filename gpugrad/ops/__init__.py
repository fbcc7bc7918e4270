"""The primitives, grouped by kind. Each module holds its op classes (forward and backward side
by side) and, beside them, the public functions built on them; its ``__all__`` lists the
functions exported as ``gpugrad.NAME``, and ``@method`` marks those that are also Tensor
methods, bound onto ``Tensor`` here, once every module is imported.
"""

from ..tensor import Tensor
from . import (
           activation,
           arith,
           compare,
           convert,
           indexing,
           linalg,
           nn,
           reduce,
           scan,
           shape,
           sort,
           trig,
           unary,
)
from ._registry import bind

bind(Tensor)

__all__ = ["activation", "arith", "compare", "convert", "einsum", "indexing", "linalg", "nn",
           "reduce", "scan", "shape", "sort", "trig", "unary"]
