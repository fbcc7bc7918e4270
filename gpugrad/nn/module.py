"""``Module`` and ``Parameter``: PyTorch's registration, traversal, devices and state dicts."""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Iterator

from .. import autograd as _ag
from ..dtypes import float32, float64
from ..ops.convert import parse_to_args
from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that a Module registers as trainable (``requires_grad=True`` by default)."""

    __slots__ = ()

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        src = data if data is not None else Tensor([])
        if not isinstance(src, Tensor):
            raise TypeError(f"Parameter data must be a Tensor, not {type(src).__name__}")
        self._data = src._data
        self._grad = None
        self._grad_fn = None
        self._version = src._version
        self._accum = None
        self._requires_grad = False
        self.requires_grad = requires_grad

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base of every layer and model. Assigning a Parameter, Module or buffer registers it."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # --- registration -----------------------------------------------------------------------

    def _registry(self):
        try:
            d = self.__dict__
            return d["_parameters"], d["_modules"], d["_buffers"]
        except KeyError:
            raise AttributeError(f"cannot assign to {type(self).__name__} before "
                                 "Module.__init__() is called") from None

    def __setattr__(self, name: str, value) -> None:
        params, modules, buffers = self._registry()
        if isinstance(value, Parameter):
            modules.pop(name, None)
            buffers.pop(name, None)
            self.__dict__.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None)
            buffers.pop(name, None)
            self.__dict__.pop(name, None)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter '{name}' "
                                "(gpugrad.nn.Parameter or None expected)")
            params[name] = None
        elif name in buffers:
            buffers[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module '{name}'")
            modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        d = self.__dict__
        for reg in ("_parameters", "_modules", "_buffers"):
            if reg in d and name in d[reg]:
                return d[reg][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for reg in self._registry():
            if name in reg:
                del reg[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} as parameter '{name}'")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None) -> None:
        self._buffers[name] = tensor

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._modules[name] = module

    register_module = add_module

    # --- traversal --------------------------------------------------------------------------

    def named_modules(self, memo=None, prefix: str = ""):
        memo = set() if memo is None else memo
        if self in memo:
            return
        memo.add(self)
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, prefix + ("." if prefix else "") + name)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and m not in seen:
                seen.add(m)
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named(self, registry: str, prefix: str, recurse: bool):
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mprefix, m in mods:
            for name, t in getattr(m, registry).items():
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                yield mprefix + ("." if mprefix else "") + name, t

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        yield from self._named("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        yield from self._named("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn) -> Module:
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # --- modes, devices, grads --------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self, *args, **kwargs) -> Module:
        """Move/cast every parameter and buffer in place (Parameter objects keep their identity)."""
        device, dtype, _ = parse_to_args(args, kwargs)

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
                        if p._grad is not None:
                            p._grad = convert(p.grad)._data
                for k, b in m._buffers.items():
                    if b is not None:
                        m._buffers[k] = convert(b)
        return self

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self, device=None) -> Module:
        return self.to("cuda" if device is None else device)

    def float(self) -> Module:
        return self.to(dtype=float32)

    def double(self) -> Module:
        return self.to(dtype=float64)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none:
                p._grad = None
            elif p._grad is not None:
                p._grad[...] = 0

    # --- state ------------------------------------------------------------------------------

    def state_dict(self, prefix: str = "") -> OrderedDict:
        """Parameters and buffers by dotted name, as detached tensors sharing storage."""
        sd = OrderedDict()
        for name, p in self.named_parameters(prefix):
            sd[name] = p.detach()
        for name, b in self.named_buffers(prefix):
            sd[name] = b.detach()
        return sd

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy ``state_dict`` into the parameters and buffers; all or nothing.

        Raises RuntimeError listing missing and unexpected keys (when ``strict``) and entries
        of the wrong shape (always), before anything is changed.
        """
        own = dict(self.named_parameters())
        own.update(self.named_buffers())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        for k, t in own.items():
            if k in state_dict:
                v = state_dict[k]
                shape = tuple(v.shape) if hasattr(v, "shape") else ()
                if shape != tuple(t.shape):
                    errors.append(f"size mismatch for {k}: copying a param with shape "
                                  f"{list(shape)}, the shape in current model is {list(t.shape)}")
        if strict and missing:
            errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(map(repr, missing)))
        if strict and unexpected:
            errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(map(repr, unexpected)))
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        values = {k: _to_array_like(state_dict[k], t) for k, t in own.items() if k in state_dict}
        with _ag.no_grad():
            for k, arr in values.items():
                own[k].copy_(arr)
        return IncompatibleKeys(missing, unexpected)

    # --- printing ---------------------------------------------------------------------------

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, m in self._modules.items():
            sub = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {sub}")
        main = type(self).__name__ + "(" + self.extra_repr()
        if lines:
            main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"


def _to_array_like(value, like: Tensor):
    """``value`` (Tensor or array) as an array on ``like``'s device, with its dtype."""
    t = value if isinstance(value, Tensor) else Tensor(value, dtype=like.dtype)
    return t.to(like.device, like.dtype)._data

