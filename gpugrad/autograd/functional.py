"""``gpugrad.autograd.functional``: Jacobians, Hessians and their products, with PyTorch's
signatures (``torch.autograd.functional``), built on ``autograd.grad`` and ``create_graph``.

``inputs`` is a Tensor or a tuple of Tensors; ``func`` returns a Tensor or a tuple of Tensors.
Results mirror that structure as PyTorch's do: a Tensor for one input (and one output), tuples
otherwise. ``jvp`` uses the double-backward trick (the vector-Jacobian product is linear in its
vector, so differentiating it once more against that vector gives J v).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import creation
from ..tensor import Tensor
from . import grad as _grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _as_tuple(x: Any, what: str, fn_name: str) -> tuple[bool, tuple[Any, ...]]:
    if isinstance(x, Tensor):
        return False, (x,)
    if isinstance(x, (tuple, list)):
        for k, t in enumerate(x):
            if not isinstance(t, Tensor):
                raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a "
                                f"tuple of Tensors but the value at index {k} has type "
                                f"{type(t).__name__}.")
        return True, tuple(x)
    raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a tuple of "
                    f"Tensors but the given {what} has type {type(x).__name__}.")


def _prepare(inputs: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    """Inputs that require grad: differentiable views when the caller's graph must be kept
    (``create_graph`` with inputs that require grad), else detached copies of the references."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t * 1.0 if t.is_floating_point() else t)
        else:
            out.append(t.detach().requires_grad_(True))
    return tuple(out)


def _check_outputs(outs: tuple[Any, ...], fn_name: str) -> None:
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise TypeError(f"The outputs of the user-provided function given to {fn_name} must "
                            f"be either a Tensor or a tuple of Tensors but the value at index "
                            f"{k} has type {type(o).__name__}.")


def _grads(outputs: tuple[Tensor, ...], inputs: tuple[Tensor, ...], grad_outputs: Any,
           create_graph: bool, strict: bool, fn_name: str) -> tuple[Tensor, ...]:
    """d(outputs)/d(inputs) weighted by grad_outputs; zeros where an input is unused (strict:
    raise instead)."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not pairs:
        res: tuple[Any, ...] = (None,) * len(inputs)
    else:
        res = _grad([o for o, _ in pairs], list(inputs), [g for _, g in pairs],
                    retain_graph=True, create_graph=create_graph, allow_unused=True)
    out = []
    for k, (g, x) in enumerate(zip(res, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent of "
                                   f"input {k}. This is not allowed in strict mode.")
            g = creation.zeros_like(x)
        out.append(g if create_graph else g.detach())
    return tuple(out)


def _unwrap(is_tuple: bool, xs: tuple[Any, ...]) -> Any:
    return xs if is_tuple else xs[0]


def _vectors(v: Any, like: tuple[Tensor, ...], what: str, fn_name: str) -> tuple[Any, ...]:
    """The vectors ``v`` of a product, one per tensor of ``like`` (``what``: "output" or
    "input") and shaped as it; None means ones for a single one-element tensor."""
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            owner = ("the user-provided function returns" if what == "output"
                     else "the input to the user-provided function is")
            raise RuntimeError(f"The vector v can only be None if {owner} a single Tensor with "
                               "a single element.")
        return (creation.ones_like(like[0]),)
    _, vs = _as_tuple(v, "v", fn_name)
    if len(vs) != len(like):
        raise RuntimeError(f"v has {len(vs)} Tensors, the {what}s {len(like)}")
    for k, (a, x) in enumerate(zip(vs, like)):
        if tuple(a.shape) != tuple(x.shape):
            raise RuntimeError(f"Mismatch in shape: v[{k}] has shape {list(a.shape)} and "
                               f"the {what} has shape {list(x.shape)}")
    return vs


def vjp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``. ``v`` may be
    omitted when ``func`` returns a one-element tensor."""
    in_tuple, ins = _as_tuple(inputs, "inputs", "vjp")
    ins = _prepare(ins, create_graph)
    out_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function", "vjp")
    _check_outputs(outs, "vjp")
    vs = _vectors(v, outs, "output", "vjp")
    g = _grads(outs, ins, vs, create_graph, strict, "vjp")
    res = tuple(o if create_graph else o.detach() for o in outs)
    return _unwrap(out_tuple, res), _unwrap(in_tuple, g)


def jvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), J v)``: the Jacobian-vector product at ``inputs``. ``v`` may be omitted
    when there is one one-element input."""
    in_tuple, ins = _as_tuple(inputs, "inputs", "jvp")
    ins = _prepare(ins, create_graph)
    vs = _vectors(v, ins, "input", "jvp")
    out_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function", "jvp")
    _check_outputs(outs, "jvp")
    # u -> J^T u is linear in u; its derivative along v (against u) is J v.
    us = tuple(creation.zeros_like(o).requires_grad_(True) for o in outs)
    gs = _grads(outs, ins, us, True, strict, "jvp")
    diff = [(g, a) for g, a in zip(gs, vs) if g.requires_grad]
    if diff:
        jv = _grad([g for g, _ in diff], list(us), [a for _, a in diff],
                   retain_graph=True, create_graph=create_graph, allow_unused=True)
    else:
        jv = (None,) * len(us)
    res = []
    for k, (j, o) in enumerate(zip(jv, outs)):
        if j is None:
            if strict:
                raise RuntimeError(f"The output {k} of the user-provided function is "
                                   "independent of its inputs. This is not allowed in strict "
                                   "mode.")
            j = creation.zeros_like(o)
        res.append(j if create_graph else j.detach())
    outs_d = tuple(o if create_graph else o.detach() for o in outs)
    return _unwrap(out_tuple, outs_d), _unwrap(out_tuple, tuple(res))


def jacobian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
             strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``func`` at ``inputs``: entry ``[i][j]`` has shape
    ``outputs[i].shape + inputs[j].shape`` (one row of reverse-mode per output element;
    ``vectorize`` and ``strategy="forward-mode"`` are accepted and give the same values)."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    in_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
    ins = _prepare(ins, create_graph)
    out_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function", "jacobian")
    _check_outputs(outs, "jacobian")
    blocks: list[tuple[Any, ...]] = []
    from .. import ops

    for i, o in enumerate(outs):
        rows: list[list[Tensor]] = [[] for _ in ins]
        flat = o.reshape(-1)
        for k in range(flat.numel()):
            if o.requires_grad:
                gs = _grads((flat[k],), ins, (None,), create_graph, False, "jacobian")
            else:
                gs = tuple(creation.zeros_like(x) for x in ins)
            for j, g in enumerate(gs):
                rows[j].append(g)
        row_blocks = []
        for j, x in enumerate(ins):
            if strict and all(not r.requires_grad and float(r.abs().sum()) == 0
                              for r in rows[j]) and not o.requires_grad:
                raise RuntimeError(f"Output {i} of the user-provided function is independent "
                                   f"of input {j}. This is not allowed in strict mode.")
            if rows[j]:
                block = ops.shape.stack(rows[j], dim=0)
            else:
                block = creation.zeros((0, *x.shape), dtype=x.dtype, device=x.device)
            row_blocks.append(block.reshape(*o.shape, *x.shape))
        blocks.append(tuple(row_blocks))
    if not out_tuple:
        return _unwrap(in_tuple, blocks[0])
    return tuple(_unwrap(in_tuple, b) for b in blocks)


def hessian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
            strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of the scalar function ``func`` at ``inputs`` (entry ``[i][j]`` has shape
    ``inputs[i].shape + inputs[j].shape``)."""
    in_tuple, ins = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs: Tensor) -> Any:
        out = func(*xs)
        if isinstance(out, (tuple, list)):
            if len(out) != 1:
                raise RuntimeError("The function given to hessian should return a single Tensor")
            out = out[0]
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        gs = _grads((out.reshape(()),), xs, (None,), True, strict, "hessian")
        return gs if in_tuple else gs[0]

    return jacobian(gradient, ins if in_tuple else ins[0], create_graph=create_graph,
                    strict=strict, strategy=outer_jacobian_strategy)


def _scalar_output(func: Callable[..., Any], ins: tuple[Tensor, ...], fn_name: str) -> Tensor:
    out = func(*ins)
    if isinstance(out, (tuple, list)):
        if len(out) != 1:
            raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
        out = out[0]
    if not isinstance(out, Tensor) or out.numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should "
                           "contain a single element")
    return out.reshape(())


def hvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), H v)``: the Hessian-vector product of the scalar ``func``."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def vhp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), v^T H)``: the vector-Hessian product (equal to ``hvp`` for the
    symmetric Hessians of twice continuously differentiable functions)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def _hessian_product(func: Callable[..., Any], inputs: Any, v: Any, create_graph: bool,
                     strict: bool, fn_name: str) -> tuple[Any, Any]:
    in_tuple, ins = _as_tuple(inputs, "inputs", fn_name)
    ins = _prepare(ins, create_graph)
    vs = _vectors(v, ins, "input", fn_name)
    out = _scalar_output(func, ins, fn_name)
    gs = _grads((out,), ins, (None,), True, strict, fn_name)
    diff = [(g, a) for g, a in zip(gs, vs) if g.requires_grad]
    if diff:
        s = sum(((g * a).sum() for g, a in diff), start=creation.zeros((), dtype=out.dtype,
                                                                       device=out.device))
        hv = _grads((s,), ins, (None,), create_graph, strict, fn_name)
    else:
        hv = tuple(creation.zeros_like(x) for x in ins)
    return (out if create_graph else out.detach()), _unwrap(in_tuple, hv)
