"""Which op functions are also Tensor methods, operators or properties.

An op module marks a public function with ``@method()`` (bound under its own name) or
``@method("clip", "__abs__")`` (under the names given); ``@tensor_property`` binds a
property. ``gpugrad.ops`` binds them all onto ``Tensor`` once its modules are imported, and
``python -m gpugrad.ops.stubgen`` writes the matching typed declarations
(``gpugrad/_tensor_ops.pyi``) for type checkers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

#: Tensor attribute name -> the function bound under it (first argument: the tensor).
METHODS: dict[str, Callable[..., Any]] = {}
#: Tensor property name -> its getter.
PROPERTIES: dict[str, Callable[..., Any]] = {}


def method(*names: str) -> Callable[[F], F]:
    """Mark an op function as a Tensor method, under its own name or under ``names``."""

    def mark(fn: F) -> F:
        for name in names or (fn.__name__,):
            if name in METHODS or name in PROPERTIES:
                raise RuntimeError(f"Tensor.{name} is bound twice")
            METHODS[name] = fn
        return fn

    return mark


def tensor_property(fn: F) -> F:
    """Mark a one-argument op function as a read-only Tensor property of the same name."""
    if fn.__name__ in METHODS or fn.__name__ in PROPERTIES:
        raise RuntimeError(f"Tensor.{fn.__name__} is bound twice")
    PROPERTIES[fn.__name__] = fn
    return fn


def bind(cls: type) -> None:
    """Attach every marked function to ``cls`` (done once, by ``gpugrad.ops``)."""
    for name, fn in METHODS.items():
        setattr(cls, name, fn)
    for name, fn in PROPERTIES.items():
        setattr(cls, name, property(fn, doc=fn.__doc__))
