"""gpugrad: a device-agnostic array autograd library (NumPy on the CPU, CuPy on CUDA).

The public names, re-exported (``X as X``: type checkers treat them as exported). Op functions
come from ``gpugrad.ops``' modules, each of which lists its public names in ``__all__``.
"""

from ._version import __version__ as __version__
from . import cuda as cuda
from ._device import Device as device
from .autograd import enable_grad as enable_grad
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
from .tensor import Tensor as Tensor
from .creation import *
from .ops.activation import *
from .ops.arith import *
from .ops.compare import *
from .ops.convert import *
from .ops.indexing import *
from .ops.linalg import *
from .ops.nn import *
from .ops.reduce import *
from .ops.shape import *
from .ops.unary import *
from . import nn as nn
from . import optim as optim
from .serialization import load as load
from .serialization import save as save
from .value import Value as Value
from . import utils as utils
from . import viz as viz
from .gradcheck import GradcheckError as GradcheckError
from .gradcheck import gradcheck as gradcheck
from .compile import compile as compile
