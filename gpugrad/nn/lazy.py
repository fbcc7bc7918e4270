"""``LazyLinear``: a Linear layer whose ``in_features`` is read from its first input."""

from __future__ import annotations

from typing import Any

from .. import autograd as _ag
from ..tensor import Tensor
from .layers import Linear
from .module import Module, UninitializedParameter


class LazyLinear(Linear):
    """``Linear(in_features, out_features)`` with ``in_features`` taken from the last dimension
    of the first input; it then becomes a plain ``Linear``.

    The parameters exist from the start (as ``UninitializedParameter``) and keep their
    identity when materialized, so an optimizer may be built before the first call.
    """

    def __init__(self, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        Module.__init__(self)
        self.in_features, self.out_features = 0, int(out_features)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """Initialise as Linear does, once the shapes are known."""
        if not isinstance(self.weight, UninitializedParameter):
            super().reset_parameters()

    def has_uninitialized_params(self) -> bool:
        """True until the first call."""
        return any(isinstance(p, UninitializedParameter) for p in self._parameters.values())

    def initialize_parameters(self, input: Tensor) -> None:
        """Materialize weight (out, in) and bias (out,) from ``input``'s last dimension."""
        if input.ndim == 0:
            raise ValueError("LazyLinear: the input must have at least one dimension")
        self.in_features = int(input.shape[-1])
        with _ag.no_grad():
            for p, shape in ((self.weight, (self.out_features, self.in_features)),
                             (self.bias, (self.out_features,))):
                if isinstance(p, UninitializedParameter):
                    p.materialize(shape)
            self.reset_parameters()
        self.__class__ = Linear  # type: ignore[assignment]

    def forward(self, input: Tensor) -> Tensor:
        if self.has_uninitialized_params():
            self.initialize_parameters(input)  # self is a Linear from here on
        return Linear.forward(self, input)
