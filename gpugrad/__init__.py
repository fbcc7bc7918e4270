"""gpugrad: a device-agnostic array autograd library (NumPy on the CPU, CuPy on CUDA)."""

from . import cuda
from .autograd import Function, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .creation import (
    arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace,
    manual_seed, ones, ones_like, rand, rand_like, randint, randn, randn_like, randperm, tensor,
    zeros, zeros_like,
)
from ._device import Device as device
from .dtypes import bool_ as bool  # noqa: A004  (PyTorch's name)
from .dtypes import dtype, double, float16, float32, float64, half, int32, int64, long
from .dtypes import float_ as float  # noqa: A004
from .dtypes import int_ as int  # noqa: A004
from .ops.functions import (
    abs, add, allclose, amax, amin, argmax, argmin, broadcast_to, cat, clamp, clip, clone, concat,
    cos, div, eq, equal, exp, expand, flatten, ge, gt, isclose, le, log, log_softmax, logsumexp,
    lt, matmul, max, maximum, mean, min, minimum, mul, ne, neg, permute, pow, relu, reshape,
    sigmoid, sin, softmax, sqrt, squeeze, stack, std, sub, sum, t, tanh, transpose, unsqueeze,
    var, where,
)
from .tensor import Tensor

from . import nn, optim  # noqa: E402, I001  (they build on the names above)
from .serialization import load, save  # noqa: E402
from .value import Value  # noqa: E402
from . import utils, viz  # noqa: E402
from .gradcheck import GradcheckError, gradcheck  # noqa: E402

__version__ = "0.1.0"
