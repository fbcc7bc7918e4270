"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from typing import Any

from .. import Tensor, zeros_like
from .. import kernels as K
from .optimizer import Optimizer, ParamsT, check_nonneg


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), PyTorch's rule.

    For each parameter p with gradient g, at step t:

    .. code-block:: text

        g = -g                                             (maximize)
        g = g + weight_decay * p
        if momentum != 0:
            buf = g                                        (t = 1)
            buf = momentum * buf + (1 - dampening) * g     (t > 1)
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g

    State: ``momentum_buffer`` (when momentum != 0). On CUDA each parameter's update (p and
    buf together) is one fused kernel.

    Args:
        params: tensors or parameter-group dicts.
        lr: learning rate (default 1e-3).
        momentum: momentum factor (default 0).
        dampening: dampening of the momentum (default 0).
        weight_decay: L2 penalty added to the gradient (default 0).
        nesterov: Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize: maximize the objective instead of minimizing it.
        foreach, fused: PyTorch's kernel choices (None, True or False); gpugrad updates each
            parameter in one fused kernel whatever they say.
        differentiable: must be False (NotImplementedError otherwise).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        check_nonneg(group["momentum"], "momentum value")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _update(self, group: dict[str, Any], p: Tensor, grad: Any,
                state: dict[str, Any]) -> None:
        lr, mom, wd = float(group["lr"]), float(group["momentum"]), float(group["weight_decay"])
        if mom == 0.0:
            K.TABLE["sgd_plain_update"](grad, lr, wd, p._data)
            return
        first = "momentum_buffer" not in state
        if first:
            state["momentum_buffer"] = zeros_like(p)
        buf = state["momentum_buffer"]
        K.TABLE["sgd_update"](grad, lr, wd, mom, float(group["dampening"]),
                              bool(group["nesterov"]), first, p._data, buf._data)
