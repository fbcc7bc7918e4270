"""Type aliases of the public API (what annotations in gpugrad and in user code can name)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Union

import numpy as np

from ._device import Device
from .dtypes import dtype

if TYPE_CHECKING:
    from .tensor import Tensor

#: A Python number an op accepts beside a Tensor.
Number = Union[int, float, bool]
#: A Tensor or a Python number (the other operand of arithmetic and comparisons).
TensorOrNumber = Union["Tensor", int, float, bool]
#: A device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, a ``gpugrad.device`` or a CUDA index.
DeviceLike = Union[Device, str, int]
#: A dtype: ``gpugrad.float32``, a NumPy dtype, ``float``/``int``/``bool``, or a name.
DTypeLike = Union[dtype, "np.dtype[np.generic]", type, str]
#: A shape: a sequence of ints (or an int).
ShapeLike = Union[int, Sequence[int]]
#: One or several dimensions.
DimLike = Union[int, Sequence[int], None]
