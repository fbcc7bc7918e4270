"""The primitives, grouped by kind. Each module holds its op classes (forward and backward side
by side) and, beside them, the public functions built on them; its ``__all__`` lists the
functions exported as ``gpugrad.NAME``, and ``@method`` marks those that are also Tensor
methods, bound onto ``Tensor`` here, once every module is imported.
"""

from ..tensor import Tensor
from . import (
    activation,
    arith,
    arrange,
    compare,
    convert,
    einsum,
    extra,
    indexing,
    linalg,
    logic,
    nn,
    reduce,
    scan,
    scatter,
    shape,
    sort,
    trig,
    unary,
)
from ._graph import TensorXP
from ._registry import bind

bind(Tensor)
Tensor._graph_xp = TensorXP  # the ``xp`` of backward rules in a create_graph backward

__all__ = ["activation", "arith", "arrange", "compare", "convert", "einsum", "extra", "indexing",
           "linalg", "logic", "nn", "reduce", "scan", "scatter", "shape", "sort", "trig", "unary"]
