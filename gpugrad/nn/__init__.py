"""``gpugrad.nn``: Modules, layers, losses, initialisers and the functional API."""

from . import functional, init, parallel, utils
from .activation import (
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmin,
    Softplus,
    Softsign,
    Tanh,
    Threshold,
)
from .activation import LAYERS as _ACTIVATION_LAYERS
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList
from .distance import CosineSimilarity, PairwiseDistance
from .flatten import Unflatten
from .layers import (
    MLP,
    Dropout,
    Flatten,
    Identity,
    Linear,
    Sequential,
    Softmax,
)
from .lazy import LazyLinear
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .module import Module, Parameter, UninitializedParameter
from .normalization import BatchNorm1d, LayerNorm
from .sparse import Embedding

__all__ = [
    "ELU", "GELU", "MLP", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "CrossEntropyLoss",
    "Dropout", "Embedding", "Flatten", "Hardtanh", "HuberLoss", "Identity", "KLDivLoss",
    "L1Loss", "LayerNorm", "LazyLinear", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "Mish",
    "Module", "ModuleDict", "ModuleList", "NLLLoss", "PReLU", "Parameter", "ParameterDict",
    "ParameterList", "ReLU", "ReLU6", "Sequential", "SiLU", "Sigmoid", "SmoothL1Loss", "Softmax",
    "Softmin", "Softplus", "Softsign", "Tanh", "Unflatten", "UninitializedParameter",
    "functional", "init", "parallel", "utils",
    "CELU", "CosineSimilarity", "GLU", "Hardsigmoid", "Hardswish", "LogSigmoid",
    "PairwiseDistance", "SELU", "Threshold",
]
# The layer of every activation record (kernels.ACTIVATIONS), those added later included.
globals().update(_ACTIVATION_LAYERS)
__all__ += sorted(set(_ACTIVATION_LAYERS) - set(__all__))
