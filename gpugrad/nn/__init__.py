"""``gpugrad.nn``: Modules, layers, losses, initialisers and the functional API."""

from . import functional, init, parallel, utils
from .layers import (
    GELU,
    MLP,
    CrossEntropyLoss,
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    MSELoss,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from .module import Module, Parameter

__all__ = [
    "GELU", "MLP", "CrossEntropyLoss", "Dropout", "Flatten", "Identity", "LeakyReLU", "Linear",
    "MSELoss", "Module", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh",
    "functional", "init", "parallel", "utils",
]
