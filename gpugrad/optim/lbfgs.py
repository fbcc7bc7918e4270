"""L-BFGS with PyTorch's algorithm (minFunc's), optionally with a strong-Wolfe line search."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

from .. import Tensor, enable_grad, no_grad, tensor
from .._device import array_module
from .optimizer import Optimizer, ParamsT, check_nonneg


def _cubic_interpolate(x1: float, f1: float, g1: float, x2: float, f2: float, g2: float,
                       bounds: tuple[float, float] | None = None) -> float:
    """Minimum of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to ``bounds``."""
    if bounds is not None:
        lo, hi = bounds
    else:
        lo, hi = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(pos, lo), hi)
    return (lo + hi) / 2.0


def _dot(a: Any, b: Any) -> float:
    return float(array_module(a).dot(a, b))


def _strong_wolfe(obj_func: Callable[[float], tuple[float, Any]], t: float, d: Any, f: float,
                  g: Any, gtd: float, c1: float = 1e-4, c2: float = 0.9,
                  tolerance_change: float = 1e-9,
                  max_ls: int = 25) -> tuple[float, Any, float, int]:
    """Line search along ``d`` satisfying the strong Wolfe conditions (minFunc's, as PyTorch
    ports it). Returns the loss, flat gradient and step there, and the evaluations made."""
    d_norm = float(abs(d).max())
    g = g.copy()
    f_new, g_new = obj_func(t)
    evals = 1
    gtd_new = _dot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    bracket: list[float] = []
    bracket_f: list[float] = []
    bracket_g: list[Any] = []
    bracket_gtd: list[float] = []
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                               bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(t)
        evals += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0.0, t], [f, f_new], [g, g_new]
    insuf_progress = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(t)
        evals += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low]:
            bracket[high], bracket_f[high] = t, f_new
            bracket_g[high], bracket_gtd[high] = g_new.copy(), gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low] = t, f_new
            bracket_g[low], bracket_gtd[low] = g_new.copy(), gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals


class LBFGS(Optimizer):
    """L-BFGS (Nocedal 1980; minFunc's variant), PyTorch's algorithm and stopping rules.

    ``step(closure)`` runs up to ``max_iter`` iterations: the search direction comes from the
    last ``history_size`` curvature pairs (two-loop recursion, initial Hessian ``y·s / y·y``);
    without a line search the step is ``lr`` (the first ever ``min(1, 1/|g|_1) * lr``), with
    ``line_search_fn="strong_wolfe"`` it satisfies the strong Wolfe conditions. It stops when
    the largest gradient entry is at most ``tolerance_grad``, the step or the loss change is
    below ``tolerance_change``, or ``max_eval`` closure evaluations were made. One parameter
    group only; the state (directions, history) lives under the first parameter.

    Args:
        params: tensors to optimize (one group).
        lr: learning rate (default 1).
        max_iter: iterations per ``step`` (default 20).
        max_eval: closure evaluations per ``step`` (default ``max_iter * 5 // 4``).
        tolerance_grad: first-order optimality tolerance (default 1e-7).
        tolerance_change: tolerance on loss and parameter changes (default 1e-9).
        history_size: number of curvature pairs kept (default 100).
        line_search_fn: None or ``"strong_wolfe"``.
    """

    def __init__(self, params: ParamsT, lr: float = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size,
                                      line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params: list[Tensor] = self.param_groups[0]["params"]

    def _validate(self, group: dict[str, Any]) -> None:
        check_nonneg(group["lr"], "learning rate")
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError("only 'strong_wolfe' is supported as line_search_fn, got "
                             f"{group['line_search_fn']!r}")

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Only the first group is allowed (LBFGS keeps one flat vector of parameters)."""
        if getattr(self, "param_groups", None):
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    # --- flat views of the parameters ------------------------------------------------------

    def _flat_grad(self) -> Any:
        p0 = self._params[0]._data
        xp = array_module(p0)
        return xp.concatenate([
            (p._grad if p._grad is not None else xp.zeros(p._data.shape, p._data.dtype))
            .reshape(-1) for p in self._params])

    def _add(self, t: float, d: Any) -> None:
        off = 0
        for p in self._params:
            n = p._data.size
            p._data += (t * d[off:off + n]).reshape(p._data.shape).astype(p._data.dtype,
                                                                          copy=False)
            p._version.v += 1
            off += n

    def _set(self, xs: list[Any]) -> None:
        for p, x in zip(self._params, xs):
            p._data[...] = x
            p._version.v += 1

    def _along(self, closure: Callable[[], Any],
               d: Any) -> Callable[[float], tuple[float, Any]]:
        """``f(t)``: the loss and flat gradient at the parameters moved by ``t * d`` (the
        parameters are put back afterwards)."""
        x0 = [p._data.copy() for p in self._params]

        def obj_func(step: float) -> tuple[float, Any]:
            self._add(step, d)
            f = float(self._evaluate(closure))
            g = self._flat_grad()
            self._set(x0)
            return f, g

        return obj_func

    def _evaluate(self, closure: Callable[[], Any]) -> Any:
        with enable_grad():
            return closure()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """Minimize along the L-BFGS directions; returns the closure's first loss.

        Args:
            closure: re-evaluates the model (zero_grad, forward, backward) and returns the
                loss; required.
        """
        if closure is None:
            raise RuntimeError("LBFGS.step needs a closure that re-evaluates the loss")
        with no_grad():
            return self._step(closure)

    def _step(self, closure: Callable[[], Any]) -> Any:
        group = self.param_groups[0]
        self._validate(group)
        lr = float(group["lr"])
        max_iter, max_eval = int(group["max_iter"]), int(group["max_eval"])
        tol_grad, tol_change = float(group["tolerance_grad"]), float(group["tolerance_change"])
        line_search_fn, history_size = group["line_search_fn"], int(group["history_size"])

        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = self._evaluate(closure)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if float(abs(flat_grad).max()) <= tol_grad:
            return orig_loss

        def raw(v: Any) -> Any:
            return v._data if isinstance(v, Tensor) else v

        d = raw(state.get("d"))
        t = state.get("t")
        old_dirs = [raw(v) for v in state.get("old_dirs") or []]
        old_stps = [raw(v) for v in state.get("old_stps") or []]
        ro = list(state.get("ro") or [])
        h_diag = state.get("H_diag")
        prev_flat_grad = raw(state.get("prev_flat_grad"))
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                h_diag = 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = _dot(y, s)
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / _dot(y, y)
                al = [0.0] * len(old_dirs)
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = _dot(old_stps[i], q) * ro[i]
                    q = q - al[i] * old_dirs[i]
                r = q * h_diag
                for i in range(len(old_dirs)):
                    be_i = _dot(old_dirs[i], r) * ro[i]
                    r = r + (al[i] - be_i) * old_stps[i]
                d = r
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(abs(flat_grad).sum())) * lr
            else:
                t = lr
            gtd = _dot(flat_grad, d)
            if gtd > -tol_change:
                break

            if line_search_fn is not None:
                loss, flat_grad, t, ls_evals = _strong_wolfe(
                    self._along(closure, d), t, d, loss, flat_grad, gtd,
                    max_ls=max_eval - current_evals)
                self._add(t, d)
                opt_cond = float(abs(flat_grad).max()) <= tol_grad
            else:
                self._add(t, d)
                ls_evals = 0
                opt_cond = False
                if n_iter != max_iter:
                    loss = float(self._evaluate(closure))
                    flat_grad = self._flat_grad()
                    opt_cond = float(abs(flat_grad).max()) <= tol_grad
                    ls_evals = 1
            current_evals += ls_evals
            state["func_evals"] += ls_evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if float(abs(d * t).max()) <= tol_change:
                break
            if abs(loss - prev_loss) < tol_change:
                break

        dev = self._params[0].device
        state["d"] = tensor(d, device=dev)
        state["t"] = t
        state["old_dirs"] = [tensor(v, device=dev) for v in old_dirs]
        state["old_stps"] = [tensor(v, device=dev) for v in old_stps]
        state["ro"] = ro
        state["H_diag"] = h_diag
        state["prev_flat_grad"] = tensor(prev_flat_grad, device=dev)
        state["prev_loss"] = prev_loss
        return orig_loss

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the hyperparameters and the L-BFGS history (flat vectors, copied onto the
        parameters' device)."""
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            raise ValueError("optimizer state dict must be a dict with 'state' and "
                             "'param_groups' entries")
        saved = state_dict["state"]
        super().load_state_dict({"state": {}, "param_groups": state_dict["param_groups"]})
        first = saved.get(0, saved.get("0"))
        if first is None:
            return
        dev, dtype = self._params[0].device, self._params[0].dtype

        def conv(v: Any) -> Any:
            if isinstance(v, Tensor):
                return tensor(v.detach(), dtype=dtype, device=dev)
            if isinstance(v, list):
                return [conv(x) for x in v]
            if hasattr(v, "shape") and getattr(v, "ndim", 0) > 0:
                return tensor(v, dtype=dtype, device=dev)
            return copy.deepcopy(v)

        self.state = {self._params[0]: {k: conv(v) for k, v in first.items()}}
