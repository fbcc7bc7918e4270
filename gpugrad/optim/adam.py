"""Adam and AdamW (with amsgrad)."""

from __future__ import annotations

from typing import Any

from .. import Tensor, zeros_like
from .. import kernels as K
from .optimizer import Optimizer, ParamsT, bias_corrections, check_betas, check_nonneg, next_step


class _AdamFamily(Optimizer):
    """What Adam and its relatives share: eps and betas checked, ``step`` kept as a number
    in the state, the state made on the first step, and weight decay."""

    _scalar_state: tuple[str, ...] = ("step",)

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        check_nonneg(group["eps"], "epsilon value")
        check_betas(group["betas"])

    @staticmethod
    def _begin(group: dict[str, Any], state: dict[str, Any], p: Tensor, moments: tuple[str, ...],
               **scalars: Any) -> tuple[int, float, float]:
        """Count this step, making the state on the first one (``step``, then ``scalars``,
        then a zero tensor like p for each name of ``moments``); returns (step, beta1, beta2)."""
        if not state:
            state["step"] = 0
            state.update(scalars)
            for name in moments:
                state[name] = zeros_like(p)
        beta1, beta2 = (float(b) for b in group["betas"])
        return next_step(state), beta1, beta2

    @staticmethod
    def _decay(group: dict[str, Any], p: Any, grad: Any) -> Any:
        """Weight decay: p scaled in place (decoupled) or the L2 term added to the gradient."""
        wd = float(group["weight_decay"])
        if wd != 0.0:
            if group.get("decoupled_weight_decay"):
                p *= 1.0 - float(group["lr"]) * wd
            else:
                grad = grad + wd * p
        return grad


class Adam(_AdamFamily):
    r"""Adam (Kingma & Ba), PyTorch's rule. For each parameter p with gradient g, at step t:

    .. code-block:: text

        g = -g                                          (maximize)
        p = p * (1 - lr * weight_decay)                 (decoupled_weight_decay, as AdamW)
        g = g + weight_decay * p                        (otherwise: L2 penalty in the gradient)
        exp_avg    = beta1 * exp_avg    + (1 - beta1) * g
        exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g * g
        v = exp_avg_sq
        max_exp_avg_sq = max(max_exp_avg_sq, exp_avg_sq);  v = max_exp_avg_sq    (amsgrad)
        denom = sqrt(v) / sqrt(1 - beta2^t) + eps
        p = p - lr / (1 - beta1^t) * exp_avg / denom

    State: ``step`` (an int; PyTorch keeps a 0-d tensor), ``exp_avg``, ``exp_avg_sq`` and,
    with amsgrad, ``max_exp_avg_sq``. On
    CUDA each parameter's update (p and its state together) is one fused kernel.

    Args:
        params: tensors or parameter-group dicts.
        lr: learning rate (default 1e-3).
        betas: coefficients of the running averages of g and g² (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty, or decoupled decay rate (default 0).
        amsgrad: use the running maximum of exp_avg_sq (Reddi et al.).
        maximize: maximize the objective instead of minimizing it.
        decoupled_weight_decay: decay the weights directly, as AdamW does.
        foreach, fused: PyTorch's kernel choices (None, True or False); gpugrad updates each
            parameter in one fused kernel whatever they say.
        capturable: accepted for PyTorch compatibility.
        differentiable: must be False (NotImplementedError otherwise).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable,
                                      fused=fused, decoupled_weight_decay=decoupled_weight_decay))

    def _update(self, group: dict[str, Any], p: Tensor, grad: Any,
                state: dict[str, Any]) -> None:
        step, beta1, beta2 = self._begin(group, state, p, ("exp_avg", "exp_avg_sq"))
        amsgrad = bool(group["amsgrad"])
        if amsgrad and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = zeros_like(p)
        bc1, bc2_sqrt = bias_corrections(beta1, beta2, step)
        args = (grad, float(group["lr"]), beta1, beta2, float(group["eps"]),
                float(group["weight_decay"]), bc1, bc2_sqrt,
                bool(group["decoupled_weight_decay"]),
                p._data, state["exp_avg"]._data, state["exp_avg_sq"]._data)
        if amsgrad:
            K.TABLE["adam_amsgrad_update"](*args, state["max_exp_avg_sq"]._data)
        else:
            K.TABLE["adam_update"](*args)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``p *= 1 - lr * weight_decay``
    before the Adam step (see :class:`Adam` for the algorithm); default weight_decay 1e-2.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         foreach=foreach, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)
