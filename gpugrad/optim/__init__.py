"""``gpugrad.optim``: SGD, Adam, AdamW, RMSprop and Adagrad with PyTorch's update rules, and
learning-rate schedulers in ``gpugrad.optim.lr_scheduler``."""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
