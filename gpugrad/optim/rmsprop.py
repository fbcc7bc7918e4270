"""RMSprop, plain, centered and with momentum."""

from __future__ import annotations

from typing import Any

from .. import Tensor, zeros_like
from .. import kernels as K
from .optimizer import Optimizer, ParamsT, check_nonneg, next_step


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture notes; centered: Graves 2013), PyTorch's rule.

    For each parameter p with gradient g:

    .. code-block:: text

        g = -g                                               (maximize)
        g = g + weight_decay * p
        square_avg = alpha * square_avg + (1 - alpha) * g * g
        v = square_avg
        grad_avg = grad_avg + (1 - alpha) * (g - grad_avg)   (centered)
        v = square_avg - grad_avg * grad_avg                 (centered)
        if momentum > 0:
            momentum_buffer = momentum * momentum_buffer + g / (sqrt(v) + eps)
            p = p - lr * momentum_buffer
        else:
            p = p - lr * g / (sqrt(v) + eps)

    The square root is taken before eps is added (TensorFlow swaps the two). State: ``step``
    (an int), ``square_avg``, ``momentum_buffer`` (momentum > 0), ``grad_avg`` (centered). On CUDA
    each parameter's update is one fused kernel.

    Args:
        params: tensors or parameter-group dicts.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant (default 0.99).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0).
        centered: normalize by an estimate of the gradient's variance.
        maximize: maximize the objective instead of minimizing it.
        foreach: PyTorch's kernel choice (None, True or False); gpugrad updates each
            parameter in one fused kernel whatever it says.
        capturable: accepted for PyTorch compatibility.
        differentiable: must be False (NotImplementedError otherwise).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered,
                                      capturable=capturable, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable))

    _scalar_state = ("step",)

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        check_nonneg(group["eps"], "epsilon value")
        check_nonneg(group["momentum"], "momentum value")
        check_nonneg(group["alpha"], "alpha value")

    def _update(self, group: dict[str, Any], p: Tensor, grad: Any,
                state: dict[str, Any]) -> None:
        momentum, centered = float(group["momentum"]), bool(group["centered"])
        if not state:
            state["step"] = 0
            state["square_avg"] = zeros_like(p)
        if momentum > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = zeros_like(p)
        if centered and "grad_avg" not in state:
            state["grad_avg"] = zeros_like(p)
        next_step(state)
        args = [grad, float(group["lr"]), float(group["alpha"]), float(group["eps"]),
                float(group["weight_decay"])]
        outs = [p._data, state["square_avg"]._data]
        name = "rmsprop"
        if centered:
            name += "_centered"
        if momentum > 0:
            name += "_momentum"
            args.append(momentum)
            outs.append(state["momentum_buffer"]._data)
        if centered:
            outs.append(state["grad_avg"]._data)
        K.TABLE[name + "_update"](*args, *outs)
