"""Activation modules.

The layers of the fused activations (ReLU, Tanh, Sigmoid, GELU, LeakyReLU, Softsign) are
generated from the activation record, ``kernels.ACTIVATIONS``: one class per ``layer`` name,
its constructor arguments, docstring and ``extra_repr`` from the record, its forward the
record's op. Adding a record adds its layer (and ``gpugrad.nn`` exports it); what type
checkers see of a generated layer is declared below under ``TYPE_CHECKING`` (a test keeps
the two equal). The others (SiLU, ELU, Softplus, Mish, Hardtanh, ReLU6, PReLU, LogSoftmax,
Softmin, LogSigmoid, SELU, CELU, Hardswish, Hardsigmoid, GLU, Threshold) are written out, each
a thin face over ``nn.functional``.
"""

from __future__ import annotations

import inspect
import textwrap
from typing import TYPE_CHECKING, Any, ClassVar

from .. import creation as _c
from .. import kernels as K
from ..ops.activation import OPS
from ..ops.unary import inplace as _write_inplace
from ..tensor import Tensor
from . import functional as F
from .module import Module, Parameter, TensorMap


class ActivationLayer(TensorMap, Module):
    """Base of the layers generated from the activation record: ``forward`` applies the fused
    op of the record that the layer's arguments select, with the layer's parameters."""

    records: ClassVar[dict[str | None, K.Activation]]  # by the value of the variant argument
    variant: ClassVar[str | None] = None  # the constructor argument choosing among records
    param_names: ClassVar[tuple[str, ...]] = ()
    takes_inplace: ClassVar[bool] = False
    inplace: bool

    def _record(self) -> K.Activation:
        return self.records[getattr(self, self.variant) if self.variant else None]

    def forward(self, input: Tensor) -> Tensor:
        rec = self._record()
        params = [float(getattr(self, p)) for p in rec.params]
        if self.takes_inplace and self.inplace:
            return _write_inplace(input, OPS[rec.name].apply, *params)
        return OPS[rec.name].apply(input, *params)

    def extra_repr(self) -> str:
        parts = [f"{p}={getattr(self, p)}" for p in self.param_names]
        if self.variant:
            parts.append(f"{self.variant}={getattr(self, self.variant)!r}")
        if self.takes_inplace and self.inplace:
            parts.append("inplace=True")
        return ", ".join(parts)


def _signature(rec: K.Activation) -> inspect.Signature:
    """The constructor's signature (after self): the record's parameters with their defaults,
    the variant argument, ``inplace``."""
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    ps = [inspect.Parameter(n, kind, default=d, annotation=float)
          for n, d in zip(rec.params, rec.defaults)]
    if rec.variant:
        ps.append(inspect.Parameter(rec.variant[0], kind, default=rec.variant[1],
                                    annotation=str))
    if rec.inplace:
        ps.append(inspect.Parameter("inplace", kind, default=False, annotation=bool))
    return inspect.Signature(ps, return_annotation=None)


def _layer_class(name: str, records: list[K.Activation]) -> type[ActivationLayer]:
    """The layer class ``name`` of the records naming it (several only with a variant)."""
    first = records[0]
    sig = _signature(first)
    names = list(sig.parameters)  # the variant's default is the first record's value
    if any(list(_signature(r).parameters) != names for r in records) or (
            len(records) > 1 and not first.variant):
        raise TypeError(f"the activation records of layer {name} disagree on its arguments")
    by_value = {r.variant[1] if r.variant else None: r for r in records}
    variant = first.variant[0] if first.variant else None

    def __init__(self: ActivationLayer, *args: Any, **kwargs: Any) -> None:  # noqa: N807
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{name}(): {exc}") from None
        bound.apply_defaults()
        if variant and bound.arguments[variant] not in by_value:
            raise ValueError(f"{variant} must be {' or '.join(map(repr, by_value))}, "
                             f"got {bound.arguments[variant]!r}")
        ActivationLayer.__init__(self)
        for arg, value in bound.arguments.items():
            setattr(self, arg, value)

    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    __init__.__signature__ = sig.replace(  # type: ignore[attr-defined]
        parameters=[self_param, *sig.parameters.values()])
    doc = next((r.doc for r in records if r.doc), f"The {first.name} activation.")
    args = [f"{n}: default ``{d!r}``" for n, d in zip(first.params, first.defaults)]
    if variant:
        args.append(f"{variant}: {' or '.join(f'``{v!r}``' for v in by_value)}; default "
                    f"``{sig.parameters[variant].default!r}``")
    if first.inplace:
        args.append("inplace: write the result into the input and return it. Default: "
                    "``False``")
    doc = "\n\n".join(textwrap.fill(par, 88) for par in doc.split("\n\n"))
    if args:
        doc += "\n\nArgs:\n" + "\n".join("    " + a for a in args)
    attrs: dict[str, Any] = {
        "__init__": __init__, "__doc__": doc, "__module__": __name__,
        "__qualname__": name, "records": by_value, "variant": variant,
        "param_names": first.params, "takes_inplace": first.inplace}
    return type(name, (ActivationLayer,), attrs)


def _generate() -> dict[str, type[ActivationLayer]]:
    groups: dict[str, list[K.Activation]] = {}
    for rec in K.ACTIVATIONS.values():
        groups.setdefault(rec.layer, []).append(rec)
    return {name: _layer_class(name, recs) for name, recs in groups.items()}


#: Layer name -> class, one for every ``layer`` of ``kernels.ACTIVATIONS``.
LAYERS: dict[str, type[ActivationLayer]] = _generate()

# What type checkers and the API reference see of the generated layers (a test keeps it current).
if TYPE_CHECKING:  # written by `python -m gpugrad.nn.stubgen` from the records: do not edit

    class Tanh(ActivationLayer):
        """Applies the Hyperbolic Tangent (Tanh) function element-wise.

        ``(exp(x) - exp(-x)) / (exp(x) + exp(-x))``.
        """

        def __init__(self) -> None: ...

    class Sigmoid(ActivationLayer):
        """Applies the Sigmoid function element-wise.

        ``1 / (1 + exp(-x))``.
        """

        def __init__(self) -> None: ...

    class ReLU(ActivationLayer):
        """Applies the rectified linear unit function element-wise.

        ``max(0, x)``.

        Args:
            inplace: write the result into the input and return it. Default: ``False``
        """

        def __init__(self, inplace: bool = False) -> None: ...

    class GELU(ActivationLayer):
        """Applies the Gaussian Error Linear Units function.

        ``x * Phi(x)``, Phi the standard normal CDF.

        With ``approximate='tanh'``: ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.

        Args:
            approximate: ``'none'`` or ``'tanh'``; default ``'none'``
        """

        def __init__(self, approximate: str = "none") -> None: ...

    class LeakyReLU(ActivationLayer):
        """Applies the LeakyReLU function element-wise.

        ``x`` where ``x > 0``, else ``negative_slope * x``.

        Args:
            negative_slope: default ``0.01``
            inplace: write the result into the input and return it. Default: ``False``
        """

        def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None: ...

    class Softsign(ActivationLayer):
        """Applies the element-wise Softsign function.

        ``x / (1 + |x|)``.
        """

        def __init__(self) -> None: ...

else:
    globals().update(LAYERS)


def _inplace_repr(inplace: bool) -> str:
    return "inplace=True" if inplace else ""


class SiLU(TensorMap, Module):
    """``x * sigmoid(x)``; ``inplace=True`` writes the result into the input."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class Mish(TensorMap, Module):
    """``x * tanh(softplus(x))``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.mish(input, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class ELU(TensorMap, Module):
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softplus(TensorMap, Module):
    """``log(1 + exp(beta x)) / beta``, linear where ``beta x > threshold``."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(TensorMap, Module):
    """``x`` clamped to ``[min_val, max_val]``."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"min_val cannot be greater than max_val, got {min_val} > {max_val}")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return (f"min_val={self.min_val}, max_val={self.max_val}"
                + (", inplace=True" if self.inplace else ""))


class ReLU6(Hardtanh):
    """``min(max(x, 0), 6)``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class PReLU(TensorMap, Module):
    """``x`` for ``x > 0``, else ``a * x`` with a learned slope ``a``: one shared, or one per
    channel (``num_parameters`` = size of dimension 1), initialised to ``init``."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if num_parameters < 1:
            raise ValueError(f"num_parameters must be positive, got {num_parameters}")
        self.num_parameters, self.init = int(num_parameters), float(init)
        self.weight = Parameter(_c.empty(self.num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Fill the slopes with ``init``."""
        from . import init

        init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class LogSoftmax(TensorMap, Module):
    """``log(softmax(x, dim))``, computed stably."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmin(TensorMap, Module):
    """``softmax(-x, dim)``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"



class LogSigmoid(TensorMap, Module):
    """``log(sigmoid(x))``, computed stably."""

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class SELU(TensorMap, Module):
    """``scale * (x if x > 0 else alpha * (exp(x) - 1))`` with SELU's fixed constants."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.selu(input, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class CELU(TensorMap, Module):
    """``x`` for ``x > 0``, else ``alpha * (exp(x / alpha) - 1)``."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Hardswish(TensorMap, Module):
    """``x * relu6(x + 3) / 6``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardswish(input, self.inplace)


class Hardsigmoid(TensorMap, Module):
    """``relu6(x + 3) / 6``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardsigmoid(input, self.inplace)


class GLU(TensorMap, Module):
    """The gated linear unit ``a * sigmoid(b)`` of the two halves of the input along ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Threshold(TensorMap, Module):
    """``x`` where ``x > threshold``, else ``value``."""

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return (f"threshold={self.threshold}, value={self.value}"
                + (", inplace=True" if self.inplace else ""))
