"""``gpugrad.nn``: Modules, layers, losses, initialisers and the functional API."""

from . import functional, init, parallel, utils
from .activation import (
    ELU,
    Hardtanh,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU6,
    SiLU,
    Softmin,
    Softplus,
    Softsign,
)
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList
from .flatten import Unflatten
from .layers import (
    GELU,
    MLP,
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
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
]
