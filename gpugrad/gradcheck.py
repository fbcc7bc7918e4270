"""``gradcheck``: compare backward's gradients with central finite differences (float64)."""

from __future__ import annotations

import numpy as np

from . import _device as _dev
from . import autograd as _ag
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytical and numerical gradients disagree."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o.is_floating_point()]


def _flat_outputs(fn, inputs) -> np.ndarray:
    with _ag.no_grad():
        return np.concatenate([np.asarray(_dev.to_host(o._data), np.float64).ravel()
                               for o in _outputs(fn, inputs)])


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> bool:
    """True if the gradients of ``fn(*inputs)`` match finite differences, as PyTorch's.

    Every input that requires grad must be float64. On a mismatch, raises GradcheckError naming
    the input and its worst element (or returns False with ``raise_exception=False``). The
    inputs' data and ``.grad`` are left as they were.
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [(i, x) for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for i, x in diff:
        if x.dtype.name != "float64":
            raise ValueError(f"gradcheck: input {i} has dtype {x.dtype}; gradcheck needs float64 "
                             "inputs (finite differences in lower precision are meaningless)")
    saved = [(x, x._grad) for _, x in diff]
    try:
        outs = _outputs(fn, inputs)
        sizes = [o.numel() for o in outs]
        n_out = sum(sizes)
        for i, x in diff:
            data = x._data  # perturbed in place, restored below; no version bump
            flat = data.reshape(-1)
            numerical = np.zeros((n_out, flat.size))
            for j in range(flat.size):
                orig = flat[j].item()
                flat[j] = orig + eps
                plus = _flat_outputs(fn, inputs)
                flat[j] = orig - eps
                minus = _flat_outputs(fn, inputs)
                flat[j] = orig
                numerical[:, j] = (plus - minus) / (2 * eps)
            analytical = np.zeros_like(numerical)
            row = 0
            outs = _outputs(fn, inputs)
            for o in outs:
                for k in range(o.numel()):
                    x._grad = None
                    if o.requires_grad:
                        g = np.zeros(o.numel())
                        g[k] = 1.0
                        o.backward(g.reshape(o.shape), retain_graph=True)
                    xg = x.grad
                    if xg is not None:
                        analytical[row] = np.asarray(_dev.to_host(xg._data), np.float64).ravel()
                    row += 1
            bad = np.abs(analytical - numerical) > atol + rtol * np.abs(numerical)
            if bad.any():
                err = np.where(bad, np.abs(analytical - numerical), -1.0)
                r, c = np.unravel_index(int(np.argmax(err)), err.shape)
                msg = (f"Jacobian mismatch for output element {r} with respect to input {i} "
                       f"(shape {list(x.shape)}), worst at element {c}: numerical "
                       f"{numerical[r, c]!r}, analytical {analytical[r, c]!r}")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
        return True
    finally:
        for x, g in saved:
            x._grad = g


def gradgradcheck(fn, inputs, grad_outputs=None, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """True if the second derivatives of ``fn(*inputs)`` match finite differences of its
    first derivatives, as PyTorch's: ``gradcheck`` of ``(inputs, v) -> d<v, fn>/d(inputs)``
    computed with ``create_graph=True``. ``grad_outputs`` (the ``v``; random float64 by
    default) are differentiated too."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    n = len(inputs)
    outs = _outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            Tensor(rng.standard_normal(tuple(o.shape)), dtype="float64",
                   device=o.device, requires_grad=True) for o in outs)
    else:
        grad_outputs = (tuple(grad_outputs) if isinstance(grad_outputs, (tuple, list))
                        else (grad_outputs,))
    if len(grad_outputs) != len(outs):
        raise ValueError(f"gradgradcheck: {len(grad_outputs)} grad_outputs for {len(outs)} "
                         "floating outputs")

    def first_order(*args):
        with _ag.enable_grad():  # gradcheck evaluates without recording; this needs a graph
            return _first_order(*args)

    def _first_order(*args):
        xs, vs = args[:n], args[n:]
        os_ = _outputs(fn, xs)
        wanted = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        pairs = [(o, v) for o, v in zip(os_, vs) if o.requires_grad]
        if not pairs:
            return tuple(x * 0.0 for x in wanted)
        return _ag.grad([o for o, _ in pairs], wanted, [v for _, v in pairs],
                        create_graph=True, materialize_grads=True)

    return gradcheck(first_order, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
