"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from .. import kernels as K
from ..creation import zeros_like
from .optimizer import Optimizer


class SGD(Optimizer):
    r"""SGD, PyTorch's rule. For each parameter p with gradient g, at step t:

    .. code-block:: text

        g = g + weight_decay * p
        if momentum != 0:
            buf = g                                        (t = 1)
            buf = momentum * buf + (1 - dampening) * g     (t > 1)
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g

    On CUDA each parameter's update (p and buf together) is one fused kernel.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _update(self, group, p, state) -> None:
        lr, mom, wd = group["lr"], group["momentum"], group["weight_decay"]
        if mom == 0.0:
            K.TABLE["sgd_plain_update"](p._grad, lr, wd, p._data)
            return
        buf = state.get("momentum_buffer")
        first = buf is None
        if first:
            buf = state["momentum_buffer"] = zeros_like(p)
        K.TABLE["sgd_update"](p._grad, lr, wd, mom, group["dampening"], group["nesterov"], first,
                              p._data, buf._data)
