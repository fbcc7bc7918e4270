"""``gpugrad.backends``: PyTorch's backend switches, and the CPU's thread count.

- ``backends.cuda.matmul.allow_tf32`` (default False): float32 matrix products on CUDA may use
  TF32 tensor cores (CuPy's compute type), as in PyTorch; ``set_float32_matmul_precision``
  ("highest" / "high" / "medium") is the same switch.
- ``backends.cudnn.enabled`` / ``benchmark`` / ``deterministic`` / ``allow_tf32``: settable
  flags with PyTorch's defaults, for scripts that set them. gpugrad calls no cuDNN routine, so
  they change nothing and ``cudnn.is_available()`` is False.
- ``backends.mps.is_available()`` / ``is_built()``: False (no Apple GPU support).
- ``set_num_threads(n)`` / ``get_num_threads()``: the size of the BLAS (and OpenMP) thread pools
  the CPU path runs its matrix products on, through threadpoolctl.

``import gpugrad.backends.cudnn as cudnn`` works as in PyTorch: the submodules are registered.
"""

from __future__ import annotations

import sys
import types
import warnings
from typing import Any

from . import _device as _dev

__all__ = ["cuda", "cudnn", "mps", "set_num_threads", "get_num_threads",
           "set_float32_matmul_precision", "get_float32_matmul_precision"]


class _Flags(types.ModuleType):
    """A module whose listed attributes are bool switches: setting another name, or a
    non-bool value, raises as PyTorch's do."""

    _flags: dict[str, bool]

    def __init__(self, name: str, doc: str, flags: dict[str, bool]) -> None:
        super().__init__(name, doc)
        object.__setattr__(self, "_flags", dict(flags))

    def __getattr__(self, name: str) -> Any:
        flags = object.__getattribute__(self, "_flags")
        if name in flags:
            return flags[name]
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._flags:
            if name.startswith("__") or callable(value) or isinstance(value, types.ModuleType):
                object.__setattr__(self, name, value)  # module machinery, functions
                return
            raise AttributeError(f"Unknown attribute {name} of {self.__name__}")
        if not isinstance(value, bool):
            raise RuntimeError(f"{self.__name__}.{name} expects a bool, but got "
                               f"{type(value).__name__}")
        self._flags[name] = value
        self._changed(name, value)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._flags))

    def _changed(self, name: str, value: bool) -> None:
        pass


class _Matmul(_Flags):
    def _changed(self, name: str, value: bool) -> None:
        if name == "allow_tf32":
            _dev.set_tf32(value)


# --- cuda ------------------------------------------------------------------------------------

cuda = types.ModuleType(__name__ + ".cuda", "CUDA switches: ``matmul.allow_tf32``.")
cuda.matmul = _Matmul(  # type: ignore[attr-defined]
    __name__ + ".cuda.matmul", "cuBLAS matrix products: ``allow_tf32`` (default False).",
    {"allow_tf32": False, "allow_fp16_reduced_precision_reduction": True,
     "allow_bf16_reduced_precision_reduction": True})


def _cuda_is_built() -> bool:
    """Whether CUDA support can be used here (CuPy imports and a device answers)."""
    return _dev.cuda_is_available()


cuda.is_built = _cuda_is_built  # type: ignore[attr-defined]

# --- cudnn -----------------------------------------------------------------------------------

cudnn = _Flags(__name__ + ".cudnn",
               "cuDNN switches, kept for scripts that set them: gpugrad calls no cuDNN routine.",
               {"enabled": True, "benchmark": False, "deterministic": False, "allow_tf32": True})


def _cudnn_is_available() -> bool:
    """False: gpugrad calls no cuDNN routine."""
    return False


def _cudnn_version() -> int | None:
    """None: no cuDNN is used."""
    return None


cudnn.is_available = _cudnn_is_available  # type: ignore[attr-defined]
cudnn.version = _cudnn_version  # type: ignore[attr-defined]

# --- mps -------------------------------------------------------------------------------------

mps = types.ModuleType(__name__ + ".mps", "Apple GPUs (Metal): not supported by gpugrad.")


def _mps_false() -> bool:
    """False: gpugrad has no Metal backend."""
    return False


mps.is_available = _mps_false  # type: ignore[attr-defined]
mps.is_built = _mps_false  # type: ignore[attr-defined]

for _m in (cuda, cuda.matmul, cudnn, mps):  # type: ignore[attr-defined]
    sys.modules[_m.__name__] = _m

# --- float32 matmul precision ------------------------------------------------------------------


def set_float32_matmul_precision(precision: str) -> None:
    """"highest": float32 products in float32; "high" or "medium": TF32 allowed on CUDA (the
    same switch as ``backends.cuda.matmul.allow_tf32``). Another value warns and changes
    nothing, as in PyTorch."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the "
                      "set_float32_matmul_precision call has no effect.", stacklevel=2)
        return
    global _precision
    _precision = precision
    cuda.matmul.allow_tf32 = precision != "highest"  # type: ignore[attr-defined]


_precision = "highest"


def get_float32_matmul_precision() -> str:
    """"highest" unless TF32 is allowed (then "high", or "medium" if set so)."""
    if not cuda.matmul.allow_tf32:  # type: ignore[attr-defined]
        return "highest"
    return _precision if _precision != "highest" else "high"


# --- threads ---------------------------------------------------------------------------------

_threads_set: int | None = None


def set_num_threads(n: int) -> None:
    """Run the CPU's matrix products on ``n`` threads: limits, through threadpoolctl, the BLAS
    (and OpenMP) thread pools of the libraries loaded so far (NumPy's BLAS always is), for the
    rest of the process."""
    global _threads_set
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n}")
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n)
    _threads_set = n


def get_num_threads() -> int:
    """The number of threads of NumPy's BLAS pool, where the CPU path's matrix products run
    (else the largest BLAS pool loaded)."""
    import os

    import numpy as np
    from threadpoolctl import threadpool_info

    home = os.path.dirname(os.path.dirname(os.path.abspath(np.__file__)))
    blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    mine = [p for p in blas if os.path.relpath(p["filepath"], home).startswith("numpy")]
    pools = mine or blas
    if pools:
        return int(max(p["num_threads"] for p in pools))
    return _threads_set if _threads_set is not None else 1
