"""``gpugrad.optim``: SGD, Adam, AdamW, Adamax, NAdam, RAdam, RMSprop, Adagrad and
LBFGS with PyTorch's update rules, and learning-rate schedulers in
``gpugrad.optim.lr_scheduler``."""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adam_variants import Adamax, NAdam, RAdam
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["LBFGS", "SGD", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam", "Optimizer",
           "RAdam", "RMSprop", "lr_scheduler"]
