"""Random numbers: ``Generator``, the default generators and their seeds and states, and the
random factories ``randn``, ``rand``, ``randint``, ``randperm`` and their ``*_like`` (the other
samplers, ``normal``, ``bernoulli``, ``multinomial`` and Tensor's in-place ones, are in
``gpugrad.sampling``).

Each device has a default generator (``gpugrad.default_generator`` is the CPU's);
``manual_seed(s)`` seeds all of them, so that one seed gives the same numbers on every run. A
``Generator`` carries its own seed and state and is passed as ``generator=`` to every sampler.
On the CPU a generator is NumPy's PCG64; on CUDA a CuPy (cuRAND Philox) generator reseeded per
draw from (seed, draws so far). The numbers differ from PyTorch's and between devices.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from . import _device as _dev
from . import dtypes as _dt
from ._typing import DeviceLike, DTypeLike, ShapeLike
from .creation import _dtype, _like, _new, _shape, _size_args
from .tensor import Tensor, _wrap

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "fork_rng", "randn", "rand", "randn_like",
           "rand_like", "randint", "randint_like", "randperm"]


class Generator:
    """A random number generator with its own seed and state, for ``generator=`` arguments.

    ``Generator(device="cpu")`` starts from PyTorch's default seed (67280421310721);
    ``manual_seed(s)`` restarts it from ``s`` and returns it. ``get_state()`` is a CPU int64
    Tensor (PyTorch's is uint8; gpugrad has no uint8 dtype) that ``set_state`` restores exactly;
    save it with ``gpugrad.save`` like any tensor. A CUDA generator is backed by CuPy (cuRAND
    Philox, reseeded per draw), a CPU one by ``numpy.random.Generator`` (PCG64).
    """

    __slots__ = ("_engine",)

    def __init__(self, device: DeviceLike = "cpu") -> None:
        self._engine = _dev.RandomEngine(_dev.target_device(device))

    @classmethod
    def _of(cls, engine: _dev.RandomEngine) -> Generator:
        g = object.__new__(cls)
        g._engine = engine
        return g

    @property
    def device(self) -> _dev.Device:
        """The device this generator draws on."""
        return self._engine.device

    def manual_seed(self, seed: int) -> Generator:
        """Restart from ``seed`` (an int in ``[-2**63, 2**64 - 1]``; negatives wrap modulo
        ``2**64``); returns the generator."""
        self._engine.manual_seed(seed)
        return self

    def seed(self) -> int:
        """Restart from a non-deterministic seed (from the operating system) and return it."""
        s = _dev.nondeterministic_seed()
        self._engine.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed this generator last started from."""
        return self._engine.initial_seed()

    def get_state(self) -> Tensor:
        """The whole state as a CPU int64 Tensor, for ``set_state``."""
        return _wrap(self._engine.get_state(), None)

    def set_state(self, new_state: Tensor) -> Generator:
        """Restore a state returned by ``get_state`` (of a generator of this device type);
        returns the generator."""
        if not isinstance(new_state, Tensor) or new_state.dtype != _dt.int64:
            raise TypeError("RNG state must be the int64 Tensor that Generator.get_state() "
                            f"returns, got {_describe(new_state)}")
        self._engine.set_state(new_state.numpy())
        return self

    def __repr__(self) -> str:
        return (f"gpugrad.Generator(device='{self.device}', "
                f"initial_seed={self.initial_seed()})")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (str(self.device), self._engine.get_state()))


def _restore(device: str, words: np.ndarray) -> Generator:
    g = Generator(device)
    g._engine.set_state(words)
    return g


def _describe(x: Any) -> str:
    return f"a {x.dtype} Tensor" if isinstance(x, Tensor) else type(x).__name__


#: The CPU's default generator: what samplers use without ``generator=`` on the CPU.
default_generator = Generator._of(_dev.default_engine(_dev.CPU))


def manual_seed(seed: int) -> Generator:
    """Seed the default generator of every device (CUDA devices too, also those not used yet)
    and return ``default_generator``."""
    _dev.manual_seed(seed)
    return default_generator


def seed() -> int:
    """Seed every device's default generator with one non-deterministic seed; return it."""
    s = _dev.nondeterministic_seed()
    _dev.manual_seed(s)
    return s


def initial_seed() -> int:
    """The seed the CPU's default generator last started from."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The state of the CPU's default generator (an int64 Tensor; see ``Generator``)."""
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    """Restore the CPU's default generator to a state from ``get_rng_state``."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices: Iterable[Any] | None = None, enabled: bool = True,
             device_type: str = "cuda") -> Iterator[None]:
    """Inside the block, draw freely: on exit the CPU's default generator and those of
    ``devices`` (CUDA indices; default: every CUDA device used so far) are restored."""
    if not enabled:
        yield
        return
    if device_type != "cuda":
        raise RuntimeError(f"fork_rng: device_type must be 'cuda', got {device_type!r}")
    if devices is None:
        engines = _dev.cuda_engines()
    else:
        engines = [_dev.default_engine(_dev.target_device(
            d if not isinstance(d, int) else _dev.Device("cuda", d))) for d in devices]
    cpu = _dev.default_engine(_dev.CPU)
    saved = [(e, e.get_state()) for e in [cpu, *engines]]
    try:
        yield
    finally:
        for e, state in saved:
            e.set_state(state)


# --- random factories ------------------------------------------------------------------------


def _float_only(dt: _dt.dtype, name: str) -> _dt.dtype:
    if not dt.is_floating_point:
        raise NotImplementedError(f"{name}() draws floating values; got dtype={dt}")
    return dt


def randn(*args: ShapeLike, size: Sequence[int] | None = None,
          generator: Generator | None = None, dtype: DTypeLike | None = None,
          device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples: ``randn(2, 3)``, ``randn((2, 3))`` or ``randn(size=(2, 3))``;
    reproducible after ``gpugrad.manual_seed`` (or from ``generator``)."""
    shape, dev = _size_args(args, size, "randn"), _dev.target_device(device)
    dt = _float_only(_dtype(dtype), "randn")
    return _new(lambda xp, d: _dev.random_normal(dev, shape, d, generator), dev, dt,
                requires_grad)


def rand(*args: ShapeLike, size: Sequence[int] | None = None,
         generator: Generator | None = None, dtype: DTypeLike | None = None,
         device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1)."""
    shape, dev = _size_args(args, size, "rand"), _dev.target_device(device)
    dt = _float_only(_dtype(dtype), "rand")
    return _new(lambda xp, d: _dev.random_uniform(dev, shape, d, generator), dev, dt,
                requires_grad)


def randn_like(input: Tensor, *, generator: Generator | None = None,
               dtype: DTypeLike | None = None, device: DeviceLike | None = None,
               requires_grad: bool = False) -> Tensor:
    """Standard normal samples with the shape (and, unless given, dtype and device) of
    ``input``."""
    return _like(randn, input, dtype, device, requires_grad, generator=generator)


def rand_like(input: Tensor, *, generator: Generator | None = None,
              dtype: DTypeLike | None = None, device: DeviceLike | None = None,
              requires_grad: bool = False) -> Tensor:
    """U[0, 1) samples with the shape (and, unless given, dtype and device) of ``input``."""
    return _like(rand, input, dtype, device, requires_grad, generator=generator)


def _bound(x: Any, name: str, fn: str = "randint") -> int:
    if isinstance(x, Tensor):
        x = x.item()
    if isinstance(x, bool) or not hasattr(x, "__index__"):
        raise TypeError(f"{fn}(): argument '{name}' must be int, not {type(x).__name__}")
    return x.__index__()


def _check_int_range(low: int, high: int, dt: _dt.dtype) -> None:
    """PyTorch's bounds check of ``random_``/``randint`` for integer and bool dtypes."""
    if dt.np.kind == "b":
        lo, hi = 0, 1
    elif dt.np.kind in "iu":
        lo, hi = int(np.iinfo(dt.np).min), int(np.iinfo(dt.np).max)
    else:
        return
    if not lo <= low <= hi:
        raise RuntimeError(f"from is out of bounds for {dt.name}")
    if not lo <= high - 1 <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {dt.name}")


def check_randint_bounds(low: int, high: int, dt: _dt.dtype) -> None:
    """``randint``'s and ``Tensor.random_``'s checks of [low, high) for ``dt``."""
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    _check_int_range(low, high, dt)


def randint(low: int = 0, high: Any = None, size: Sequence[int] | None = None, *,
            generator: Generator | None = None, dtype: DTypeLike | None = None,
            device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """Integers uniform on [low, high): ``randint(high, size)``, ``randint(low, high, size)``
    or with keywords; ``size`` is a tuple (or list). int64 unless ``dtype`` is given."""
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        elif high is not None:
            raise TypeError(f"randint(): argument 'size' must be tuple of ints, not "
                            f"{type(high).__name__}")
        else:
            raise TypeError("randint() missing required argument 'size'")
    elif high is None:
        low, high = 0, low
    shape = _shape(size, "randint")
    lo, hi = _bound(low, "low"), _bound(high, "high")
    dt, dev = _dtype(dtype, _dt.int64), _dev.target_device(device)
    check_randint_bounds(lo, hi, dt)
    return _new(lambda xp, d: _dev.random_integers(dev, lo, hi, shape, d, generator), dev, dt,
                requires_grad)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *,
                 generator: Generator | None = None, dtype: DTypeLike | None = None,
                 device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """``randint`` with the shape (and, unless given, dtype and device) of ``input``:
    ``randint_like(x, high)`` or ``randint_like(x, low, high)``."""
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), generator=generator,
                   dtype=dtype if dtype is not None else input.dtype,
                   device=device if device is not None else input.device,
                   requires_grad=requires_grad)


def randperm(n: int, *, generator: Generator | None = None,
             dtype: DTypeLike | None = None, device: DeviceLike | None = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 unless ``dtype`` is given)."""
    n = _bound(n, "n", "randperm")
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dev = _dev.target_device(device)
    return _new(lambda xp, d: _dev.random_permutation(dev, n, generator).astype(d), dev,
                _dtype(dtype, _dt.int64), requires_grad)
