"""Samplers: the order in which a DataLoader visits a map-style dataset.

Random samplers take ``generator=``: a ``gpugrad.Generator`` (as in PyTorch), a
``numpy.random.Generator``, or any object with NumPy's ``integers(low, high, size)`` and
``permutation(n)`` (a legacy ``numpy.random.RandomState`` works too). Without one they draw from
gpugrad's global generator, so ``gpugrad.manual_seed`` makes a run reproducible.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

import numpy as np

from ...random import Generator

T_co = TypeVar("T_co", covariant=True)

__all__ = [
    "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
    "WeightedRandomSampler", "BatchSampler", "GeneratorLike",
]


@runtime_checkable
class GeneratorLike(Protocol):
    """What a sampler needs from a random generator: NumPy's ``integers`` and ``permutation``."""

    def integers(self, low: int, high: int, size: Any = ...) -> Any: ...

    def permutation(self, x: int) -> Any: ...


class _TorchGenerator:
    """A ``gpugrad.Generator`` seen through the Generator methods used here (drawn on its
    device, returned on the host)."""

    def __init__(self, generator: Any) -> None:
        self._g = generator

    def integers(self, low: int, high: int, size: Any = None) -> Any:
        import gpugrad

        shape = () if size is None else (size,) if isinstance(size, int) else tuple(size)
        out = gpugrad.randint(low, high, shape, generator=self._g, device=self._g.device)
        return out.numpy() if size is not None else int(out.item())

    def permutation(self, x: int) -> Any:
        import gpugrad

        return gpugrad.randperm(x, generator=self._g, device=self._g.device).numpy()


class _LegacyState:
    """A ``numpy.random.RandomState`` seen through the Generator methods used here."""

    def __init__(self, state: np.random.RandomState) -> None:
        self._state = state

    def integers(self, low: int, high: int, size: Any = None) -> Any:
        return self._state.randint(low, high, size=size, dtype=np.int64)

    def permutation(self, x: int) -> Any:
        return self._state.permutation(x)


def _check_generator(generator: Any) -> GeneratorLike | None:
    if generator is None:
        return None
    if isinstance(generator, np.random.RandomState):
        return _LegacyState(generator)
    if isinstance(generator, Generator):
        return _TorchGenerator(generator)
    if not (callable(getattr(generator, "integers", None))
            and callable(getattr(generator, "permutation", None))):
        raise TypeError("generator must be a gpugrad.Generator, a numpy.random.Generator or "
                        "have NumPy's integers() and permutation() methods, got "
                        f"{type(generator).__name__}")
    return generator  # type: ignore[no-any-return]


def _global_seed() -> int:
    """A fresh seed drawn from gpugrad's global generator (reproducible after manual_seed)."""
    import gpugrad

    return int(gpugrad.randint(0, 2**62, (1,)).item())


def _rng(generator: GeneratorLike | Generator | None) -> GeneratorLike:
    """``generator``, or a NumPy generator seeded from gpugrad's global generator."""
    g = _check_generator(generator)
    return g if g is not None else np.random.default_rng(_global_seed())


def _permutation(n: int, generator: GeneratorLike | Generator | None) -> np.ndarray:
    """A permutation of ``range(n)`` as int64, from ``generator`` or the global generator."""
    g = _check_generator(generator)
    if g is None:
        import gpugrad

        return np.asarray(gpugrad.randperm(n).numpy(), dtype=np.int64)
    return np.asarray(g.permutation(n), dtype=np.int64)


def _uniform(rng: GeneratorLike, size: int) -> np.ndarray:
    """Uniform float64 samples on (0, 1], built from ``integers`` alone (53 random bits)."""
    bits = np.asarray(rng.integers(0, 2**53, size=size), dtype=np.int64)
    return (bits.astype(np.float64) + 1.0) / 2.0**53


class Sampler(Generic[T_co]):
    """Base class of samplers: ``__iter__`` yields indices (or lists of indices for a batch
    sampler); define ``__len__`` where the length is known. A DataLoader accepts any iterable
    with ``__len__`` as ``sampler=`` (e.g. a DistributedSampler with ``set_epoch``)."""

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """``0, 1, ..., len(data_source) - 1``."""

    data_source: Sized

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """Random indices: a fresh permutation per epoch, or draws with replacement.

    Args:
        replacement: draw ``num_samples`` indices independently (with repeats).
        num_samples: how many indices per epoch (default ``len(data_source)``); without
            replacement and larger than the dataset, whole permutations are concatenated.
        generator: see the module docstring; without one, each epoch seeds a NumPy generator
            from gpugrad's global generator.
    """

    data_source: Sized
    replacement: bool
    generator: GeneratorLike | Generator | None

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None,
                 generator: GeneratorLike | Generator | None = None) -> None:
        if not isinstance(replacement, bool):
            raise TypeError("replacement should be a boolean value, but got "
                            f"replacement={replacement}")
        _check_generator(generator)
        self.data_source, self.replacement = data_source, replacement
        self._num_samples, self.generator = num_samples, generator
        n = self.num_samples
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={n}")

    @property
    def num_samples(self) -> int:
        """Indices per epoch."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, k = len(self.data_source), self.num_samples
        rng = _rng(self.generator)
        if self.replacement:
            return iter(np.asarray(rng.integers(0, n, size=k), dtype=np.int64).tolist())
        perms = [np.asarray(rng.permutation(n), dtype=np.int64) for _ in range(k // n)]
        if k % n:
            perms.append(np.asarray(rng.permutation(n), dtype=np.int64)[:k % n])
        return iter(np.concatenate(perms).tolist() if perms else [])

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given ``indices`` in a random order, without replacement."""

    indices: Sequence[int]
    generator: GeneratorLike | Generator | None

    def __init__(self, indices: Sequence[int],
                 generator: GeneratorLike | Generator | None = None) -> None:
        _check_generator(generator)
        self.indices, self.generator = indices, generator

    def __iter__(self) -> Iterator[int]:
        for i in _permutation(len(self.indices), self.generator).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices in ``[0, len(weights))`` drawn with probabilities proportional
    to ``weights`` (which need not sum to 1), as ``multinomial``: with replacement by default;
    without, each draw removes its index (then at most as many samples as positive weights).
    """

    weights: np.ndarray
    num_samples: int
    replacement: bool
    generator: GeneratorLike | Generator | None

    def __init__(self, weights: Sequence[float] | Any, num_samples: int,
                 replacement: bool = True,
                 generator: GeneratorLike | Generator | None = None) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        w = np.array(weights.detach().cpu().numpy() if hasattr(weights, "detach") else weights,
                     dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(w.shape)}")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
            raise RuntimeError("invalid multinomial distribution: weights must be finite, "
                               "non-negative and not all zero")
        if not replacement and num_samples > np.count_nonzero(w):
            raise RuntimeError(f"cannot sample {num_samples} indices without replacement from "
                               f"{np.count_nonzero(w)} positive weights")
        _check_generator(generator)
        self.weights, self.num_samples = w, num_samples
        self.replacement, self.generator = replacement, generator

    def __iter__(self) -> Iterator[int]:
        rng = _rng(self.generator)
        u = _uniform(rng, self.num_samples if self.replacement else len(self.weights))
        if self.replacement:  # inverse CDF; zero-weight indices own an empty interval
            cdf = np.cumsum(self.weights) / self.weights.sum()
            cdf[cdf >= cdf[-1]] = 1.0
            idx = np.searchsorted(cdf, 1.0 - u, side="right")  # 1 - u lies in [0, 1)
        else:  # Efraimidis-Spirakis: the largest log(u) / w keys, in draw order
            with np.errstate(divide="ignore"):
                keys = np.log(u) / self.weights
            idx = np.argsort(-keys, kind="stable")[:self.num_samples]
        return iter(idx.astype(np.int64).tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter
    unless ``drop_last``)."""

    sampler: Sampler[int] | Iterable[int]
    batch_size: int
    drop_last: bool

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int,
                 drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


class _InfiniteConstantSampler(Sampler[None]):
    """``None`` forever: the index stream of an IterableDataset (the dataset decides the end)."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None
