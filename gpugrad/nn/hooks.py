"""Module hooks, PyTorch's semantics: forward pre-hooks, forward hooks, full backward hooks
and backward pre-hooks, each registered on a ``Module`` and removed through its handle.

``Module.__call__`` takes the hooked path only when the module has a hook; the backward hooks
wrap the module's tensor inputs and outputs in identity graph nodes whose backward sees every
gradient of the inputs (``grad_input``) or of the outputs (``grad_output``) at once.
"""

from __future__ import annotations

import itertools
import warnings
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from ..autograd import Function
from ..creation import zeros_like
from ..tensor import Tensor

if TYPE_CHECKING:
    from .module import Module

_ids = itertools.count()


class RemovableHandle:
    """What the ``register_*_hook`` methods of ``Module`` return: ``remove()`` unregisters the
    hook (again: nothing); also a context manager that removes it on exit."""

    def __init__(self, hooks: OrderedDict[int, Any], *extra: set[int]) -> None:
        self.id = next(_ids)
        self._hooks, self._extra = hooks, extra

    def remove(self) -> None:
        """Unregister the hook."""
        self._hooks.pop(self.id, None)
        for s in self._extra:
            s.discard(self.id)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


class ModuleHooks:
    """The hooks of one module (created on its first registration)."""

    def __init__(self) -> None:
        self.forward_pre: OrderedDict[int, Any] = OrderedDict()
        self.forward_pre_kwargs: set[int] = set()
        self.forward: OrderedDict[int, Any] = OrderedDict()
        self.forward_kwargs: set[int] = set()
        self.forward_always: set[int] = set()
        self.backward: OrderedDict[int, Any] = OrderedDict()
        self.backward_pre: OrderedDict[int, Any] = OrderedDict()

    def add(self, hooks: OrderedDict[int, Any], hook: Any, prepend: bool = False,
            *extra: set[int]) -> RemovableHandle:
        if not callable(hook):
            raise TypeError(f"hook must be callable, got {type(hook).__name__}")
        handle = RemovableHandle(hooks, *extra)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle


class _Identity(Function):
    """Passes its tensors through; its backward hands all their gradients to ``fn`` at once
    and returns what ``fn`` gives (the gradient seen by the tensors before it)."""

    @staticmethod
    def forward(ctx: Any, fn: Any, *tensors: Tensor) -> tuple[Tensor, ...]:
        ctx.fn = fn
        ctx.set_materialize_grads(False)
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        return tensors

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        return (None, *ctx.fn(grads))


def _tensor_slots(values: Any) -> list[int]:
    return [k for k, v in enumerate(values) if isinstance(v, Tensor)]


class _BackwardHooks:
    """One call's backward hooks: the inputs' and outputs' identity nodes and what the output
    node saw (``grad_output``) for the input node's hooks."""

    def __init__(self, module: Module, hooks: ModuleHooks) -> None:
        self.module, self.hooks = module, hooks
        self.grad_output: tuple[Any, ...] | None = None
        self.n_inputs = 0
        self.input_hooked = False
        self.inputs: list[Tensor] = []
        self.constants: list[Tensor] = []  # inputs that do not require grad: zeros, as PyTorch

    def wrap_inputs(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        slots = _tensor_slots(args)
        self.n_inputs = len(slots)
        if not self.hooks.backward or not any(args[k].requires_grad for k in slots):
            return args
        self.input_hooked = True
        self.constants = [args[k] for k in slots if not args[k].requires_grad]
        self.inputs = [args[k] for k in slots]
        new = _Identity.apply(self._on_grad_input, *[args[k] for k in slots])
        out = list(args)
        for k, t in zip(slots, new):
            out[k] = t
        return tuple(out)

    def wrap_outputs(self, result: Any) -> Any:
        single = isinstance(result, Tensor)
        values = (result,) if single else result
        if not isinstance(values, (tuple, list)):
            return result
        slots = _tensor_slots(values)
        if not any(values[k].requires_grad for k in slots):
            return result
        new = _Identity.apply(self._on_grad_output, *[values[k] for k in slots])
        if single:
            return new[0]
        out = list(values)
        for k, t in zip(slots, new):
            out[k] = t
        return type(values)(out) if isinstance(values, tuple) else out

    def _on_grad_output(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        for hook in list(self.hooks.backward_pre.values()):
            res = hook(self.module, grads)
            if res is not None:
                grads = _checked(res, len(grads), "grad_output")
        self.grad_output = grads
        if not self.input_hooked and self.hooks.backward:
            warnings.warn("Full backward hook is firing when gradients are computed with "
                          "respect to module outputs since no inputs require gradients.",
                          UserWarning, stacklevel=2)
            none = (None,) * self.n_inputs
            for hook in list(self.hooks.backward.values()):
                res = hook(self.module, none, grads)
                if res is not None and any(g is not None for g in res):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
        return grads

    def _on_grad_input(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        grad_output = self.grad_output if self.grad_output is not None else ()
        if self.constants:
            grads = tuple(zeros_like(t) if g is None and any(t is c for c in self.constants)
                          else g for g, t in zip(grads, self.inputs))
        for hook in list(self.hooks.backward.values()):
            res = hook(self.module, grads, grad_output)
            if res is not None:
                grads = _checked(res, len(grads), "grad_input")
        return grads


def _checked(res: Any, n: int, what: str) -> tuple[Any, ...]:
    if not isinstance(res, (tuple, list)):
        res = (res,)
    if len(res) != n:
        raise RuntimeError(f"Backward hook returned an invalid number of {what}, got "
                           f"{len(res)}, but expected {n}")
    return tuple(res)


def call_with_hooks(module: Module, hooks: ModuleHooks, args: tuple[Any, ...],
                    kwargs: dict[str, Any]) -> Any:
    """``module(*args, **kwargs)`` with its hooks, in PyTorch's order: forward pre-hooks,
    backward wrapping of the inputs, ``forward``, forward hooks, wrapping of the outputs. When
    any of it raises, the ``always_call`` forward hooks not yet run are run, then the error is
    raised again."""
    called: set[int] = set()
    result: Any = None
    try:
        for key, hook in list(hooks.forward_pre.items()):
            if key in hooks.forward_pre_kwargs:
                res = hook(module, args, kwargs)
                if res is not None:
                    if not (isinstance(res, tuple) and len(res) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {res}.")
                    args, kwargs = res
            else:
                res = hook(module, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        bw = _BackwardHooks(module, hooks) if hooks.backward or hooks.backward_pre else None
        if bw is not None:
            args = bw.wrap_inputs(args)
        result = module.forward(*args, **kwargs)
        for key, hook in list(hooks.forward.items()):
            if key in hooks.forward_always:
                called.add(key)
            result = _run_forward_hook(hooks, key, hook, module, args, kwargs, result)
        if bw is not None:
            if not isinstance(result, (Tensor, tuple)):
                warnings.warn("For backward hooks to be called, module output should be a "
                              f"Tensor or a tuple of Tensors but received {type(result)}",
                              stacklevel=3)
            result = bw.wrap_outputs(result)
        return result
    except Exception:
        for key, hook in list(hooks.forward.items()):
            if key not in hooks.forward_always or key in called:
                continue
            try:
                result = _run_forward_hook(hooks, key, hook, module, args, kwargs, result)
            except Exception as e:
                warnings.warn("module forward hook with ``always_call=True`` raised an "
                              f"exception that was silenced as another error was raised in "
                              f"forward: {e}", stacklevel=3)
        raise


def _run_forward_hook(hooks: Any, key: int, hook: Any, module: Any, args: Any, kwargs: Any,
                      result: Any) -> Any:
    """One forward hook's call (with the keyword arguments where it was registered so); its
    return value, where not None, replaces the result."""
    if key in hooks.forward_kwargs:
        res = hook(module, args, kwargs, result)
    else:
        res = hook(module, args, result)
    return result if res is None else res
