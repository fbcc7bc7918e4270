"""Adam and AdamW."""

from __future__ import annotations

import math

from .. import kernels as K
from ..creation import zeros_like
from .optimizer import Optimizer


class Adam(Optimizer):
    r"""Adam (Kingma & Ba), PyTorch's rule. For each parameter p with gradient g, at step t:

    .. code-block:: text

        g = g + weight_decay * p                   (Adam: L2 penalty in the gradient)
        p = p * (1 - lr * weight_decay)            (AdamW instead: decoupled decay)
        exp_avg    = beta1 * exp_avg    + (1 - beta1) * g
        exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g * g
        denom = sqrt(exp_avg_sq) / sqrt(1 - beta2^t) + eps
        p = p - lr / (1 - beta1^t) * exp_avg / denom

    On CUDA each parameter's update (p, exp_avg, exp_avg_sq together) is one fused kernel.
    """

    decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        for i, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {b}")
        if amsgrad:
            raise NotImplementedError("amsgrad is not supported")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay))

    def _update(self, group, p, state) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = zeros_like(p)
            state["exp_avg_sq"] = zeros_like(p)
        state["step"] += 1
        t = state["step"]
        beta1, beta2 = group["betas"]
        K.TABLE["adam_update"](
            p._grad, group["lr"], beta1, beta2, group["eps"], group["weight_decay"],
            1.0 - beta1**t, math.sqrt(1.0 - beta2**t), self.decoupled,
            p._data, state["exp_avg"]._data, state["exp_avg_sq"]._data,
        )


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter); default weight_decay 1e-2."""

    decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
