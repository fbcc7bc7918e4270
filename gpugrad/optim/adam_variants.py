"""Adamax, NAdam and RAdam: Adam's relatives, with PyTorch's update rules.

Each parameter's update is a few array-module (NumPy or CuPy) expressions written in place
into p and its state.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import Tensor
from .._device import array_module
from .adam import _AdamFamily
from .optimizer import ParamsT, check_nonneg


def _flags(foreach: bool | None, capturable: bool, differentiable: bool,
           maximize: bool) -> dict[str, Any]:
    return dict(foreach=foreach, maximize=maximize, capturable=capturable,
                differentiable=differentiable)


class Adamax(_AdamFamily):
    r"""Adamax (Kingma & Ba, section 7): Adam with the infinity norm, PyTorch's rule.

    For each parameter p with gradient g, at step t:

    .. code-block:: text

        g = -g                                              (maximize)
        g = g + weight_decay * p
        exp_avg = beta1 * exp_avg + (1 - beta1) * g
        exp_inf = max(beta2 * exp_inf, |g| + eps)
        p = p - lr / (1 - beta1^t) * exp_avg / exp_inf

    State: ``step`` (an int), ``exp_avg``, ``exp_inf``.

    Args:
        params: tensors or parameter-group dicts.
        lr: learning rate (default 2e-3).
        betas: coefficients of the running average of g and of the decayed maximum of |g|
            (default (0.9, 0.999)).
        eps: added to |g| (default 1e-8).
        weight_decay: L2 penalty (default 0).
        foreach: PyTorch's kernel choice (None, True or False); no effect here.
        maximize: maximize the objective instead of minimizing it.
        differentiable: must be False (NotImplementedError otherwise).
        capturable: accepted for PyTorch compatibility.
    """

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      **_flags(foreach, capturable, differentiable, maximize)))

    def _update(self, group: dict[str, Any], p: Tensor, grad: Any,
                state: dict[str, Any]) -> None:
        step, beta1, beta2 = self._begin(group, state, p, ("exp_avg", "exp_inf"))
        x, m, u = p._data, state["exp_avg"]._data, state["exp_inf"]._data
        grad = self._decay(group, x, grad)
        m += (1.0 - beta1) * (grad - m)
        u *= beta2
        array_module(u).maximum(u, abs(grad) + float(group["eps"]), out=u)
        clr = float(group["lr"]) / (1.0 - beta1**step)
        x -= clr * (m / u)


class NAdam(_AdamFamily):
    r"""NAdam (Dozat 2016): Adam with Nesterov momentum, PyTorch's rule.

    For each parameter p with gradient g, at step t:

    .. code-block:: text

        g = -g                                              (maximize)
        p = p * (1 - lr * weight_decay)                     (decoupled_weight_decay)
        g = g + weight_decay * p                            (otherwise)
        mu_t    = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay))
        mu_t+1  = beta1 * (1 - 0.5 * 0.96^((t + 1) * momentum_decay))
        mu_product = mu_product * mu_t                      (float32, as PyTorch keeps it)
        exp_avg    = beta1 * exp_avg    + (1 - beta1) * g
        exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g * g
        denom = sqrt(exp_avg_sq / (1 - beta2^t)) + eps
        p = p - lr * (1 - mu_t) / (1 - mu_product) * g / denom
              - lr * mu_t+1 / (1 - mu_product * mu_t+1) * exp_avg / denom

    State: ``step`` (an int), ``mu_product`` (a float, rounded to float32 as PyTorch's 0-d
    float32 tensor), ``exp_avg``, ``exp_avg_sq``.

    Args:
        params: tensors or parameter-group dicts.
        lr: learning rate (default 2e-3).
        betas: coefficients of the running averages of g and g² (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty, or decoupled decay rate (default 0).
        momentum_decay: the momentum schedule's decay psi (default 4e-3).
        decoupled_weight_decay: decay the weights directly, as AdamW does (NAdamW).
        foreach: PyTorch's kernel choice (None, True or False); no effect here.
        maximize: maximize the objective instead of minimizing it.
        capturable: accepted for PyTorch compatibility.
        differentiable: must be False (NotImplementedError otherwise).
    """

    _scalar_state = ("step", "mu_product")

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      **_flags(foreach, capturable, differentiable, maximize)))

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        check_nonneg(group["momentum_decay"], "momentum_decay value")

    def _update(self, group: dict[str, Any], p: Tensor, grad: Any,
                state: dict[str, Any]) -> None:
        step, beta1, beta2 = self._begin(group, state, p, ("exp_avg", "exp_avg_sq"),
                                         mu_product=1.0)
        lr, psi = float(group["lr"]), float(group["momentum_decay"])
        x, m, v = p._data, state["exp_avg"]._data, state["exp_avg_sq"]._data
        grad = self._decay(group, x, grad)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1.0) * psi))
        old = state["mu_product"]
        # a float32 product, as PyTorch keeps mu_product
        mp = float(np.float32(old.item() if isinstance(old, Tensor) else old) * np.float32(mu))
        state["mu_product"] = mp
        m += (1.0 - beta1) * (grad - m)
        v *= beta2
        v += (1.0 - beta2) * grad * grad
        denom = (v / (1.0 - beta2**step)) ** 0.5 + float(group["eps"])
        x -= (lr * (1.0 - mu) / (1.0 - mp)) * (grad / denom)
        x -= (lr * mu_next / (1.0 - mp * mu_next)) * (m / denom)


class RAdam(_AdamFamily):
    r"""RAdam (Liu et al. 2019): Adam with a rectified adaptive learning rate, PyTorch's rule.

    For each parameter p with gradient g, at step t:

    .. code-block:: text

        g = -g                                              (maximize)
        p = p * (1 - lr * weight_decay)                     (decoupled_weight_decay)
        g = g + weight_decay * p                            (otherwise)
        exp_avg    = beta1 * exp_avg    + (1 - beta1) * g
        exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g * g
        m_hat = exp_avg / (1 - beta1^t)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
        if rho_t > 5:
            r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
            p = p - lr * m_hat * r * sqrt(1 - beta2^t) / (sqrt(exp_avg_sq) + eps)
        else:
            p = p - lr * m_hat

    State: ``step`` (an int), ``exp_avg``, ``exp_avg_sq``.

    Args:
        params: tensors or parameter-group dicts.
        lr: learning rate (default 1e-3).
        betas: coefficients of the running averages of g and g² (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty, or decoupled decay rate (default 0).
        decoupled_weight_decay: decay the weights directly, as AdamW does.
        foreach: PyTorch's kernel choice (None, True or False); no effect here.
        maximize: maximize the objective instead of minimizing it.
        capturable: accepted for PyTorch compatibility.
        differentiable: must be False (NotImplementedError otherwise).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      **_flags(foreach, capturable, differentiable, maximize)))

    def _update(self, group: dict[str, Any], p: Tensor, grad: Any,
                state: dict[str, Any]) -> None:
        step, beta1, beta2 = self._begin(group, state, p, ("exp_avg", "exp_avg_sq"))
        lr = float(group["lr"])
        x, m, v = p._data, state["exp_avg"]._data, state["exp_avg_sq"]._data
        grad = self._decay(group, x, grad)
        m += (1.0 - beta1) * (grad - m)
        v *= beta2
        v += (1.0 - beta2) * grad * grad
        bc1, bc2 = 1.0 - beta1**step, 1.0 - beta2**step
        rho_inf = 2.0 / (1.0 - beta2) - 1.0
        rho_t = rho_inf - 2.0 * step * beta2**step / bc2
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                             / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
            x -= (lr * rect * math.sqrt(bc2) / bc1) * (m / (v ** 0.5 + float(group["eps"])))
        else:
            x -= (lr / bc1) * m
