"""Adagrad."""

from __future__ import annotations

from typing import Any

from .. import Tensor, full_like
from .. import kernels as K
from .optimizer import Optimizer, ParamsT, check_nonneg, next_step


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al.), PyTorch's rule. For each parameter p with gradient g, at step t:

    .. code-block:: text

        g = -g                                        (maximize)
        g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        sum = sum + g * g                             (sum starts at initial_accumulator_value)
        p = p - clr * g / (sqrt(sum) + eps)

    State: ``step`` (an int) and ``sum``, created for every parameter when the optimizer is
    built (as PyTorch does; parameters of groups added later get theirs on their first step).
    On CUDA each parameter's update is one fused kernel.

    Args:
        params: tensors or parameter-group dicts.
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay per step (default 0).
        weight_decay: L2 penalty (default 0).
        initial_accumulator_value: starting value of ``sum`` (default 0).
        eps: added to the denominator (default 1e-10).
        maximize: maximize the objective instead of minimizing it.
        foreach, fused: PyTorch's kernel choices (None, True or False); gpugrad updates each
            parameter in one fused kernel whatever they say.
        differentiable: must be False (NotImplementedError otherwise).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, fused=fused))
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(group, p, self.state.setdefault(p, {}))

    _scalar_state = ("step",)

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        check_nonneg(group["lr_decay"], "lr_decay value")
        check_nonneg(group["initial_accumulator_value"], "initial_accumulator_value value")
        check_nonneg(group["eps"], "epsilon value")

    @staticmethod
    def _init_state(group: dict[str, Any], p: Tensor, state: dict[str, Any]) -> None:
        state["step"] = 0
        state["sum"] = full_like(p, float(group["initial_accumulator_value"]))

    def _update(self, group: dict[str, Any], p: Tensor, grad: Any,
                state: dict[str, Any]) -> None:
        if not state:
            self._init_state(group, p, state)
        step = next_step(state)
        clr = float(group["lr"]) / (1.0 + (step - 1) * float(group["lr_decay"]))
        K.TABLE["adagrad_update"](grad, clr, float(group["weight_decay"]), float(group["eps"]),
                                  p._data, state["sum"]._data)
