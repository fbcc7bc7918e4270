"""``Module``: PyTorch's registration, traversal, devices and state dicts.

``Parameter`` lives in ``parameter.py`` and is re-exported here.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import numpy as np

from .. import autograd as _ag
from ..dtypes import float16, float32, float64, to_dtype
from ..ops.convert import parse_to_args
from ..tensor import Tensor
from .hooks import ModuleHooks, RemovableHandle, call_with_hooks
from .parameter import Parameter, UninitializedParameter

__all__ = ["IncompatibleKeys", "Module", "Parameter", "TensorMap", "UninitializedParameter"]

M = TypeVar("M", bound="Module")


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` did not match: keys the module has that the dict lacked, and
    keys of the dict that the module does not have."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")


def _addindent(s: str, n: int) -> str:
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    return lines[0] + "\n" + "\n".join(" " * n + line for line in lines[1:])


class Module:
    """Base of every layer and model. Assigning a Parameter, Module or buffer registers it."""

    training: bool
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _non_persistent_buffers_set: set[str]
    _modules: dict[str, Module | None]

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of the module; every subclass defines it."""
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  '"forward" function')

    _module_hooks: ModuleHooks | None = None  # made by the first hook registered

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        hooks = self._module_hooks
        if hooks is None:
            return self.forward(*args, **kwargs)
        return call_with_hooks(self, hooks, args, kwargs)

    # --- hooks ------------------------------------------------------------------------------

    def _hooks(self) -> ModuleHooks:
        hooks = self._module_hooks
        if hooks is None:
            hooks = ModuleHooks()
            object.__setattr__(self, "_module_hooks", hooks)
        return hooks

    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before each ``forward``; a result other than None
        replaces the positional arguments (a non-tuple becomes a 1-tuple). With
        ``with_kwargs=True`` it is ``hook(module, args, kwargs)`` and may return
        ``(new_args, new_kwargs)``. ``prepend=True`` runs it before the hooks already there.
        Returns a handle whose ``remove()`` unregisters it."""
        h = self._hooks()
        handle = h.add(h.forward_pre, hook, prepend, h.forward_pre_kwargs)
        if with_kwargs:
            h.forward_pre_kwargs.add(handle.id)
        return handle

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                              with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after each ``forward`` (``hook(module, args,
        kwargs, output)`` with ``with_kwargs=True``); a result other than None replaces the
        output. ``always_call=True`` runs it also when the call raises (with the output so far,
        None before ``forward`` returned). Returns a handle with ``remove()``."""
        h = self._hooks()
        handle = h.add(h.forward, hook, prepend, h.forward_kwargs, h.forward_always)
        if with_kwargs:
            h.forward_kwargs.add(handle.id)
        if always_call:
            h.forward_always.add(handle.id)
        return handle

    def register_full_backward_hook(self, hook: Callable[..., Any], prepend: bool = False
                                    ) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` when the gradients of the module's
        tensor inputs have been computed: tuples, one entry per tensor argument / output (None
        where there is none). A tuple returned replaces ``grad_input``. Returns a handle with
        ``remove()``."""
        h = self._hooks()
        return h.add(h.backward, hook, prepend)

    def register_full_backward_pre_hook(self, hook: Callable[..., Any], prepend: bool = False
                                        ) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` when the gradients of the module's outputs have
        been computed, before those of its inputs; a tuple returned replaces ``grad_output``.
        Returns a handle with ``remove()``."""
        h = self._hooks()
        return h.add(h.backward_pre, hook, prepend)

    # --- registration -----------------------------------------------------------------------

    def _registry(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        try:
            d = self.__dict__
            return d["_parameters"], d["_modules"], d["_buffers"]
        except KeyError:
            raise AttributeError(f"cannot assign to {type(self).__name__} before "
                                 "Module.__init__() is called") from None

    def __setattr__(self, name: str, value: Any) -> None:
        params, modules, buffers = self._registry()

        def forget(*regs: dict[str, Any]) -> None:
            for reg in regs:
                reg.pop(name, None)
            self._non_persistent_buffers_set.discard(name)

        if isinstance(value, Parameter):
            forget(self.__dict__, modules, buffers)
            self.register_parameter(name, value)
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(gpugrad.nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            forget(self.__dict__, params, buffers)
            modules[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"'{name}' (gpugrad.nn.Module or None expected)")
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(gpugrad.Tensor or None expected)")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for reg in ("_parameters", "_modules", "_buffers"):
            if reg in d and name in d[reg]:
                return d[reg][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for reg in self._registry():
            if name in reg:
                del reg[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        keys = set(super().__dir__())
        for reg in self._registry():
            keys.update(reg)
        return sorted(k for k in keys if not k[:1].isdigit())

    def _check_new_name(self, name: Any, kind: str, registry: dict[str, Any]) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if name not in registry and (name in self.__dict__ or hasattr(type(self), name)
                                     or any(name in r for r in self._registry())):
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add ``param`` (a Parameter, or None for an absent one such as ``bias=False``)."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_new_name(name, "parameter", self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (gpugrad.nn.Parameter or None required)")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is state but not trainable (e.g. BatchNorm's running mean).

        Buffers move and cast with the module; a ``persistent`` one is part of ``state_dict``.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_new_name(name, "buffer", self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                            f"'{name}' (gpugrad.Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module, reachable as the attribute ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_new_name(name, "module", self._modules)
        self._modules[name] = module

    def register_module(self, name: str, module: Module | None) -> None:
        """Alias of ``add_module``."""
        self.add_module(name, module)

    def get_submodule(self, target: str) -> Module:
        """The submodule at the dotted path ``target`` ("" is the module itself)."""
        mod: Module = self
        if target == "":
            return mod
        for item in target.split("."):
            if item not in mod._modules or mod._modules[item] is None:
                raise AttributeError(f"{type(mod).__name__} has no attribute `{item}`")
            mod = mod._modules[item]  # type: ignore[assignment]
        return mod

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at the dotted path ``target`` (e.g. ``"layers.0.weight"``)."""
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if not hasattr(mod, name):
            raise AttributeError(f"{type(mod).__name__} has no attribute `{name}`")
        p = getattr(mod, name)
        if not isinstance(p, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return p

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at the dotted path ``target``."""
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if name not in mod._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        b = mod._buffers[name]
        if b is None:
            raise AttributeError(f"buffer `{name}` is None")
        return b

    # --- traversal --------------------------------------------------------------------------

    def named_modules(self, memo: set[Module] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module and every descendant, depth first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, prefix + ("." if prefix else "") + name,
                                           remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """This module and every descendant (each once)."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for the direct children (each once)."""
        seen: set[Module] = set()
        for name, m in self._modules.items():
            if m is not None and m not in seen:
                seen.add(m)
                yield name, m

    def children(self) -> Iterator[Module]:
        """The direct children (each once)."""
        for _, m in self.named_children():
            yield m

    def _named(self, registry: str, prefix: str, recurse: bool,
               remove_duplicate: bool) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        mods = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse
                else [(prefix, self)])
        for mprefix, m in mods:
            for name, t in getattr(m, registry).items():
                if t is None or (remove_duplicate and id(t) in seen):
                    continue
                seen.add(id(t))
                yield mprefix + ("." if mprefix else "") + name, t

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs; a parameter shared by two modules comes once."""
        yield from self._named("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter (each once), e.g. for an optimizer."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer) pairs."""
        yield from self._named("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer (each once)."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self: M, fn: Callable[[Module], object]) -> M:
        """Call ``fn`` on every descendant (children first), then on this module."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # --- modes, devices, grads --------------------------------------------------------------

    def train(self: M, mode: bool = True) -> M:
        """Set training mode (``mode=True``) or evaluation mode here and in every descendant."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self: M) -> M:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self: M, requires_grad: bool = True) -> M:
        """Set ``requires_grad`` of every parameter (e.g. ``False`` to freeze the module)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self: M, *args: Any, **kwargs: Any) -> M:
        """Move to a device and/or cast floating parameters and buffers to a dtype, in place.

        ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)``. Parameter objects
        keep their identity (an optimizer built earlier still holds them); integer buffers keep
        their dtype.
        """
        device, dtype, _ = parse_to_args(args, kwargs)
        if dtype is not None:
            dtype = to_dtype(dtype)
            if not dtype.is_floating_point:
                raise TypeError("nn.Module.to only accepts floating point dtypes, but got "
                                f"desired dtype={dtype}")

        def convert(t: Tensor) -> Tensor:
            if device is not None:
                t = t.to(device)
            if dtype is not None and t.is_floating_point():
                t = t.to(dtype)
            return t

        with _ag.no_grad():
            for m in self.modules():
                for p in m._parameters.values():
                    if p is not None:
                        p._data = convert(p.detach())._data
                        g = p.grad
                        if g is not None:
                            p._grad = convert(g)._data
                for k, b in m._buffers.items():
                    if b is not None:
                        m._buffers[k] = convert(b)
        return self

    def cpu(self: M) -> M:
        """Move every parameter and buffer to the CPU."""
        return self.to("cpu")

    def cuda(self: M, device: Any = None) -> M:
        """Move every parameter and buffer to a CUDA device (the current one by default)."""
        return self.to("cuda" if device is None else device)

    def float(self: M) -> M:
        """Cast floating parameters and buffers to float32."""
        return self.to(dtype=float32)

    def double(self: M) -> M:
        """Cast floating parameters and buffers to float64."""
        return self.to(dtype=float64)

    def half(self: M) -> M:
        """Cast floating parameters and buffers to float16."""
        return self.to(dtype=float16)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter: to None (default) or to zeros."""
        for p in self.parameters():
            if set_to_none:
                p._grad = None
            elif p._grad is not None:
                p._grad[...] = 0

    # --- state ------------------------------------------------------------------------------

    def state_dict(self, *, destination: dict[str, Tensor] | None = None, prefix: str = "",
                   keep_vars: bool = False) -> dict[str, Tensor]:
        """Parameters and persistent buffers by dotted name, module by module (each module's
        parameters, then its buffers, then its children), as tensors sharing storage
        (detached unless ``keep_vars``)."""
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".",
                             keep_vars=keep_vars)
        return destination

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True
                        ) -> IncompatibleKeys:
        """Copy ``state_dict`` into the parameters and persistent buffers; all or nothing.

        Returns ``(missing_keys, unexpected_keys)``. Raises RuntimeError listing missing and
        unexpected keys (when ``strict``) and entries of the wrong shape (always), before
        anything is changed. Values are cast to each target's dtype and device.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        for k, t in own.items():
            if k not in state_dict:
                continue
            if isinstance(t, UninitializedParameter):
                errors.append(f"{k} is not initialized yet: run one forward pass before loading "
                              "a state_dict into a lazy module")
                continue
            v = state_dict[k]
            if not isinstance(v, (Tensor, np.ndarray, int, float)):
                errors.append(f"{k}: expected a Tensor or array, got {type(v).__name__}")
                continue
            shape = tuple(np.shape(v)) if not isinstance(v, Tensor) else tuple(v.shape)
            if shape != tuple(t.shape):
                errors.append(f"size mismatch for {k}: copying a param with shape {list(shape)} "
                              f"from checkpoint, the shape in current model is {list(t.shape)}.")
        if strict and unexpected:
            errors.insert(0, "Unexpected key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        if strict and missing:
            errors.insert(0, "Missing key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        values = {k: _to_array_like(state_dict[k], t) for k, t in own.items() if k in state_dict}
        with _ag.no_grad():
            for k, arr in values.items():
                own[k].copy_(arr)
        return IncompatibleKeys(missing, unexpected)

    # --- printing ---------------------------------------------------------------------------

    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The module's own settings, shown inside its repr's parentheses."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(m), 2)
                       for name, m in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"


def _to_array_like(value: Any, like: Tensor) -> Any:
    """``value`` (Tensor or array) as an array on ``like``'s device, with its dtype."""
    t = value if isinstance(value, Tensor) else Tensor(np.asarray(value), dtype=like.dtype)
    return t.to(like.device, like.dtype)._data


class TensorMap:
    """For type checkers only: a layer that maps one Tensor to one Tensor, so that
    ``layer(x)`` is typed ``Tensor`` (``Module.__call__`` is typed ``Any``, as any module may
    return anything). Listed before ``Module`` in a layer's bases; no run-time effect."""

    __slots__ = ()

    if TYPE_CHECKING:
        def __call__(self, input: Tensor, /) -> Tensor: ...
