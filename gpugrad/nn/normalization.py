"""Normalization layers: ``LayerNorm`` and ``BatchNorm1d``, each one graph node per call
(``functional.layer_norm`` / ``batch_norm``: reductions for the statistics, then the fused
``norm_fwd`` / ``norm_bwd`` kernel rows)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import creation as _c
from ..dtypes import int64
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter, TensorMap


class LayerNorm(TensorMap, Module):
    """Normalize over the trailing ``normalized_shape`` dimensions, then an elementwise affine
    map (``weight`` ones, ``bias`` zeros) when ``elementwise_affine``; ``bias=False`` drops the
    shift."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = F._norm_shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(_c.empty(*self.normalized_shape, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(_c.empty(*self.normalized_shape, device=device,
                                               dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """weight = 1, bias = 0."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class BatchNorm1d(TensorMap, Module):
    """Batch normalization over (N, C) or (N, C, L) inputs, per channel C.

    ``bias=False`` (keyword only) keeps the scale ``weight`` and drops the shift ``bias``.
    Training normalizes with the batch's mean and biased variance and, when
    ``track_running_stats``, updates ``running_mean`` and ``running_var`` (with the unbiased
    variance): ``r = (1 - momentum) r + momentum s``, or the cumulative average
    (``1 / num_batches_tracked``) when ``momentum`` is None. Evaluation normalizes with the
    running statistics (with the batch's when they are not tracked).
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        c = self.num_features
        if affine:
            self.weight = Parameter(_c.empty(c, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(_c.empty(c, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", _c.zeros(c, device=device, dtype=dtype))
            self.register_buffer("running_var", _c.ones(c, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked",
                                 _c.tensor(0, dtype=int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """running_mean = 0, running_var = 1, num_batches_tracked = 0."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1.0)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Reset the running statistics; weight = 1, bias = 0."""
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def _check_input_dim(self, input: Tensor) -> None:
        """Checked before anything changes (num_batches_tracked counts only valid batches)."""
        if input.ndim not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")
        if input.shape[1] != self.num_features:
            raise RuntimeError(f"{type(self).__name__}({self.num_features}) got an input with "
                               f"{input.shape[1]} channels (shape {list(input.shape)})")
        if self.training and input.numel() // max(self.num_features, 1) <= 1:
            raise ValueError("Expected more than 1 value per channel when training, got input "
                             f"size {list(input.shape)}")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else float(self.momentum)
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")
