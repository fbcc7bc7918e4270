"""gpugrad: a device-agnostic array autograd library (NumPy on the CPU, CuPy on CUDA).

The public names, re-exported (``X as X``: type checkers treat them as exported). Op functions
come from ``gpugrad.ops``' modules, each of which lists its public names in ``__all__``.
"""

import math as _math

from ._version import __version__ as __version__
from ._device import Device as device
from .autograd import enable_grad as enable_grad
from .autograd import inference_mode as inference_mode
from .autograd import is_inference_mode_enabled as is_inference_mode_enabled
from .autograd import is_grad_enabled as is_grad_enabled
from .autograd import no_grad as no_grad
from .autograd import set_grad_enabled as set_grad_enabled
from .dtypes import bool_ as bool
from .dtypes import double as double
from .dtypes import dtype as dtype
from .dtypes import float_ as float
from .dtypes import float16 as float16
from .dtypes import float32 as float32
from .dtypes import float64 as float64
from .dtypes import get_default_dtype as get_default_dtype
from .dtypes import set_default_dtype as set_default_dtype
from .dtypes import half as half
from .dtypes import int_ as int
from .dtypes import int32 as int32
from .dtypes import int64 as int64
from .dtypes import long as long
from .dtypes import int8 as int8
from .dtypes import int16 as int16
from .dtypes import short as short
from .dtypes import uint8 as uint8
from .dtypes import finfo as finfo
from .dtypes import iinfo as iinfo
from .tensor import Size as Size
from .tensor import Tensor as Tensor
from .tensor import BoolTensor as BoolTensor
from .tensor import ByteTensor as ByteTensor
from .tensor import CharTensor as CharTensor
from .tensor import DoubleTensor as DoubleTensor
from .tensor import FloatTensor as FloatTensor
from .tensor import HalfTensor as HalfTensor
from .tensor import IntTensor as IntTensor
from .tensor import LongTensor as LongTensor
from .tensor import ShortTensor as ShortTensor
from .autograd import is_anomaly_check_nan_enabled as is_anomaly_check_nan_enabled
from .autograd import is_anomaly_enabled as is_anomaly_enabled
from ._device import are_deterministic_algorithms_enabled as are_deterministic_algorithms_enabled
from ._device import is_deterministic_algorithms_warn_only_enabled as \
    is_deterministic_algorithms_warn_only_enabled
from ._device import use_deterministic_algorithms as use_deterministic_algorithms
from ._printing import get_printoptions as get_printoptions
from ._printing import printoptions as printoptions
from ._printing import set_printoptions as set_printoptions
from .creation import *
from .random import *
from .sampling import *
from .structured import *
from . import random as random
from . import cuda as cuda
from . import accelerator as accelerator
from . import backends as backends
from .backends import get_float32_matmul_precision as get_float32_matmul_precision
from .backends import get_num_threads as get_num_threads
from .backends import set_float32_matmul_precision as set_float32_matmul_precision
from .backends import set_num_threads as set_num_threads
from .ops.activation import *
from .ops.arith import *
from .ops.arrange import *
from .ops.compare import *
from .ops.convert import *
from .ops.einsum import *
from .ops.extra import *
from .ops.convert import channels_last as channels_last
from .ops.convert import contiguous_format as contiguous_format
from .ops.convert import preserve_format as preserve_format
from .ops.indexing import *
from .ops.linalg import *
from .ops.logic import *
from .ops.nn import *
from .ops.reduce import *
from .ops.scan import *
from .ops.scatter import *
from .ops.shape import *
from .ops.sort import *
from .ops.trig import *
from .ops.unary import *
from . import nn as nn
from . import optim as optim
from . import linalg as linalg
from . import return_types as return_types
from .serialization import load as load
from .serialization import save as save
from .value import Value as Value
from . import utils as utils
from . import viz as viz
from .gradcheck import GradcheckError as GradcheckError
from .gradcheck import gradcheck as gradcheck
from .gradcheck import gradgradcheck as gradgradcheck
from .compile import compile as compile

#: PyTorch's constants: the Python floats of ``math``.
pi = _math.pi
e = _math.e
inf = _math.inf
nan = _math.nan
