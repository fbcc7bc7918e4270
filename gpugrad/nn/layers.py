"""Layers as Modules: Identity, Linear, Sequential, Flatten, Softmax, Dropout, MLP (the fused
activations' layers are generated in ``activation``; losses live in ``loss``)."""

from __future__ import annotations

import math
from collections import OrderedDict

from .. import creation as _c
from ..kernels import ACTIVATIONS
from ..tensor import Tensor
from . import functional as F
from . import init
from .container import _index
from .loss import CrossEntropyLoss, MSELoss  # noqa: F401  (their home is loss.py)
from .module import Module, Parameter, TensorMap


class Identity(TensorMap, Module):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(TensorMap, Module):
    """``y = x @ weight.T + bias``, initialised as PyTorch does (U(-1/sqrt(in), 1/sqrt(in)))."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = Parameter(_c.empty(out_features, in_features, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(_c.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Sequential(TensorMap, Module):
    """Modules run in order; indexable (``seq[0]``, ``seq[1:]``), iterable, ``len``-able."""

    def __init__(self, *modules) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, input):
        for m in self._modules.values():
            input = m(input)
        return input

    def __getitem__(self, idx):
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return mods[_index(idx, len(mods), "Sequential")]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self


class Flatten(TensorMap, Module):
    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Softmax(TensorMap, Module):
    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Dropout(TensorMap, Module):
    """Zeroes elements with probability p while training; the identity in eval mode.
    ``inplace=True`` writes the result into the input (see ``F.dropout``)."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"




class MLP(TensorMap, Module):
    """A multilayer perceptron: ``MLP(nin, [h1, ..., nout], activation="tanh")``.

    Hidden layers are Linear + activation (fused in one op; ``activation`` is any name of
    ``gpugrad.kernels.ACTIVATIONS``); the last layer is linear. Called
    on a Python list of numbers, it behaves like micrograd's MLP: the list becomes a tensor on
    the model's device, and a single output comes back as a one-element tensor.
    """

    def __init__(self, nin: int, nouts, activation: str = "tanh", device=None,
                 dtype=None) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, "
                             f"got {activation!r}")
        nouts = list(nouts)
        if not nouts:
            raise ValueError("MLP needs at least one layer size in nouts")
        self.activation = activation
        sizes = [int(nin)] + [int(n) for n in nouts]
        self.layers = Sequential(*[Linear(a, b, device=device, dtype=dtype)
                                   for a, b in zip(sizes[:-1], sizes[1:])])

    def forward(self, x):
        if not isinstance(x, Tensor):
            w = self.layers[0].weight
            x = _c.tensor(x, dtype=w.dtype, device=w.device)
        *hidden, last = self.layers._modules.values()
        act = self.activation
        for layer in hidden:
            p = layer._parameters
            x = F.linear_act(x, p["weight"], p["bias"], act)
        return last(x)

    def extra_repr(self) -> str:
        return f"activation='{self.activation}'"
