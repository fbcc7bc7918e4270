"""``Parameter`` and ``UninitializedParameter``: the tensors a Module trains."""

from __future__ import annotations

from typing import Any

from .. import creation as _c
from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that a Module registers as trainable (``requires_grad=True`` by default)."""

    __slots__ = ()

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        src = data if data is not None else Tensor([])
        if not isinstance(src, Tensor):
            raise TypeError(f"Parameter data must be a Tensor, not {type(src).__name__}")
        self._data = src._data
        self._grad = None
        self._grad_fn = None
        self._version = src._version
        self._accum = None
        self._requires_grad = False
        self.requires_grad = requires_grad

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__


class UninitializedParameter(Parameter):
    """A Parameter whose shape is not known yet; a lazy module materializes it at its first call.

    ``materialize`` gives it storage and turns it into a plain ``Parameter`` (same object, so an
    optimizer built before the first call keeps working).
    """

    __slots__ = ()

    def __init__(self, requires_grad: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(_c.empty(0, device=device, dtype=dtype), requires_grad)

    def materialize(self, shape: tuple[int, ...], device: Any = None, dtype: Any = None) -> None:
        """Allocate (uninitialized) storage of ``shape``; the caller then initializes it."""
        data = _c.empty(*shape, device=device or self.device, dtype=dtype or self.dtype)
        self._data = data._data
        self.__class__ = Parameter  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "<UninitializedParameter>"

    __str__ = __repr__
