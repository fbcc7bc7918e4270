"""``Optimizer``: parameter groups, lazily created state, zero_grad, state dicts.

A step runs in two phases: every group's hyperparameters and every (parameter, gradient,
state) triple is checked first, and only then is anything written, so a step that raises
leaves parameters and state exactly as they were.
"""

from __future__ import annotations

import copy
import math
import numbers
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .. import Tensor, enable_grad, tensor

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]
"""What an optimizer takes: tensors, or dicts each with ``"params"`` and per-group options."""


def _real(name: str, value: Any) -> float:
    if value.__class__ is float:  # the common case, without the ABC check
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}: {value!r}")
    return float(value)


def check_nonneg(value: Any, what: str) -> None:
    """Raise ValueError ``Invalid {what}: {value}`` unless ``0 <= value`` (nan fails too)."""
    if value.__class__ is float and value >= 0.0:  # the common case, checked in every step
        return
    if not 0.0 <= _real(what, value):
        raise ValueError(f"Invalid {what}: {value}")


def check_flags(group: dict[str, Any]) -> None:
    """Check PyTorch's implementation switches ``foreach``, ``fused``, ``capturable`` and
    ``differentiable`` where a group has them.

    ``foreach`` and ``fused`` choose between PyTorch's kernels; gpugrad's update of a
    parameter is already one fused kernel (on CUDA), so they change nothing here but must be
    None or a bool, and not both True. ``capturable`` is accepted and changes nothing.
    ``differentiable=True`` (autograd
    through the step) is not supported: NotImplementedError.
    """
    for k in ("foreach", "fused"):
        v = group.get(k)
        if v is not None and not isinstance(v, bool):
            raise TypeError(f"{k} must be None or a bool, got {type(v).__name__}: {v!r}")
    if group.get("fused") and group.get("foreach"):
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    if group.get("differentiable"):
        raise NotImplementedError(
            "differentiable=True (autograd through the optimizer step) is not supported by "
            "gpugrad's optimizers; use differentiable=False")


def check_betas(betas: Any) -> None:
    """Two coefficients, each in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"Invalid betas: expected a pair (beta1, beta2), got {betas!r}")
    for i, b in enumerate(betas):
        if not 0.0 <= _real(f"beta parameter at index {i}", b) < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {b}")


class Optimizer:
    """Base of the optimizers: ``Optimizer(params, defaults)``.

    Subclasses validate a group in ``_validate(group)`` and update one parameter in
    ``_update(group, p, grad, state)`` (raw arrays in, written in place).

    Args:
        params: tensors to optimize, or dicts defining parameter groups
            (``{"params": [...], "lr": ...}``); a group's missing options take ``defaults``.
        defaults: the default value of every option.
    """

    defaults: dict[str, Any]
    state: dict[Tensor, dict[str, Any]]
    param_groups: list[dict[str, Any]]
    _scalar_state: tuple[str, ...] = ()
    """State entries that are numbers (``step``): loaded from a number or a one-element
    tensor (PyTorch's 0-d float32 ``step``), never shaped like p."""

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got a Tensor")
        self._validate(defaults)
        check_flags(defaults)
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        groups: list[Any] = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters, e.g. layers unfrozen during fine-tuning.

        Options missing from ``param_group`` take the optimizer's defaults. The caller's dict
        is not modified. Raises if a parameter is already in a group or a value is invalid.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("param_group must have a 'params' entry")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
            if not p.is_floating_point():
                raise ValueError(f"can't optimize a tensor of dtype {p.dtype}")
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "each is updated once", UserWarning, stacklevel=2)
            unique: dict[int, Tensor] = {}
            for p in params:
                unique.setdefault(id(p), p)
            params = list(unique.values())
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        self._validate(group)
        check_flags(group)
        group["params"] = params
        self.param_groups.append(group)

    def _validate(self, group: dict[str, Any]) -> None:
        """Raise ValueError naming the first invalid option of ``group``."""
        check_nonneg(group["lr"], "learning rate")
        check_nonneg(group.get("weight_decay", 0.0), "weight_decay value")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: to None (the default), or to zeros in place."""
        for g in self.param_groups:
            for p in g["params"]:
                if set_to_none:
                    p._grad = None
                elif p._grad is not None:
                    p._grad[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns ``closure()`` if given.

        Args:
            closure: re-evaluates the model and returns the loss (run with grad enabled).
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        todo = []
        states = self.state
        for group in self.param_groups:  # every check before the first write
            self._validate(group)
            for p in group["params"]:
                g = p._grad
                if g is not None:
                    state = states.get(p)
                    _check_pair(p, g, state, self._scalar_state)
                    todo.append((group, p, g, state))
        for group, p, g, state in todo:
            if state is None:
                state = states[p] = {}
            if group.get("maximize"):
                g = -g
            self._update(group, p, g, state)
            p._version.v += 1  # p changed in place: graphs that saved it are now stale
        return loss

    def _update(self, group: dict[str, Any], p: Tensor, grad: Any,
                state: dict[str, Any]) -> None:  # pragma: no cover
        raise NotImplementedError

    # --- state dicts ------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}``.

        Parameters are numbered in group order; state tensors are shared, not copied
        (``gpugrad.save`` writes them out; deep-copy to keep a snapshot in memory).
        """
        index: dict[int, int] = {}
        groups = []
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in g.items() if k != "params"}, "params": ids})
        state = {}
        for g in self.param_groups:
            for p in g["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: (v.detach() if isinstance(v, Tensor) else v)
                                           for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state from ``state_dict()``'s output.

        Everything is checked (group count and sizes, state shapes, option values) before
        anything changes. State tensors are copied to each parameter's device and dtype.
        """
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            raise ValueError("optimizer state dict must be a dict with 'state' and "
                             "'param_groups' entries")
        groups = state_dict["param_groups"]
        saved_state = state_dict["state"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for mine, theirs in zip(self.param_groups, groups):
            if len(mine["params"]) != len(theirs["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 "match the size of optimizer's group")
        new_groups = []
        for mine, theirs in zip(self.param_groups, groups):
            g = {**mine, **{k: copy.deepcopy(v) for k, v in theirs.items() if k != "params"}}
            if isinstance(g.get("betas"), list):
                g["betas"] = tuple(g["betas"])
            self._validate(g)
            check_flags(g)
            new_groups.append(g)
        new_state = {}
        for mine, theirs in zip(self.param_groups, groups):
            for p, i in zip(mine["params"], theirs["params"]):
                saved = saved_state.get(i, saved_state.get(str(i)))
                if saved is None:
                    continue
                st = {}
                for k, v in saved.items():
                    if k in self._scalar_state:
                        v = _scalar_value(k, i, v)
                    elif isinstance(v, (Tensor, np.ndarray)):
                        if tuple(v.shape) != tuple(p.shape):
                            raise ValueError(f"state {k!r} of parameter {i} has shape "
                                             f"{list(v.shape)}, expected {list(p.shape)}")
                        # a copy, on p's device, in p's dtype
                        v = tensor(v.detach() if isinstance(v, Tensor) else v, dtype=p.dtype,
                                   device=p.device)
                    else:
                        v = copy.deepcopy(v)
                    st[k] = v
                new_state[p] = st
        for mine, g in zip(self.param_groups, new_groups):
            mine.clear()
            mine.update(g)
        self.state = new_state

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(k for k in g if k != "params"):
                lines.append(f"    {k}: {g[k]}")
        return "\n".join(lines) + "\n)"


def _fits(a: Any, d: Any) -> bool:
    return (a.__class__ is d.__class__ and a.shape == d.shape
            and (a.dtype is d.dtype or a.dtype == d.dtype)
            and (isinstance(d, np.ndarray) or a.device == d.device))


def _check_pair(p: Tensor, g: Any, state: dict[str, Any] | None,
                scalars: tuple[str, ...] = ()) -> None:
    """Raise before any write if p's gradient or state does not fit p."""
    d = p._data
    if not (g.__class__ is d.__class__ is np.ndarray and g.shape == d.shape
            and g.dtype is d.dtype) and not _fits(g, d):
        raise RuntimeError(f"a parameter of shape {list(d.shape)} ({p.dtype}, {p.device}) has a "
                           f"gradient of shape {list(g.shape)} ({g.dtype}) that does not match "
                           "it in shape, dtype or device")
    if state:
        for k, v in state.items():
            if isinstance(v, Tensor) and k not in scalars and not _fits(v._data, d):
                raise RuntimeError(
                    f"optimizer state {k!r} ({list(v.shape)}, {v.dtype}, {v.device}) does not "
                    f"match its parameter ({list(d.shape)}, {p.dtype}, {p.device}); was the "
                    "parameter's data replaced after the optimizer was built?")


def bias_corrections(beta1: float, beta2: float, step: int) -> tuple[float, float]:
    """Adam's ``1 - beta1^t`` and ``sqrt(1 - beta2^t)``."""
    return 1.0 - beta1**step, math.sqrt(1.0 - beta2**step)


def _scalar_value(key: str, index: int, v: Any) -> int | float:
    """A loaded scalar state entry (a number, or a one-element tensor or array as PyTorch
    saves ``step``) as a Python number: an int where it is integral."""
    if isinstance(v, (Tensor, np.ndarray)):
        if (v.size if isinstance(v, np.ndarray) else v.numel()) != 1:
            raise ValueError(f"state {key!r} of parameter {index} must be a single number, got "
                             f"shape {list(v.shape)}")
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise ValueError(f"state {key!r} of parameter {index} must be a number, got "
                         f"{type(v).__name__}: {v!r}")
    v = float(v)
    return int(v) if key == "step" and v.is_integer() else v


def next_step(state: dict[str, Any]) -> int:
    """Advance ``state["step"]`` by one and return the new count.

    The count is a Python int (PyTorch holds a 0-d float32 tensor): ``gpugrad.compile`` tells
    a step that must run as Python on replay by this value changing. A tensor left there (a
    state dict from PyTorch assigned by hand) is read too.
    """
    s = state["step"]
    t = int(s.item() if isinstance(s, Tensor) else s) + 1
    state["step"] = t
    return t
