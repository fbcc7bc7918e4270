"""``DataLoader``: batches of a dataset, in the main process or in worker processes.

Worker processes
    ``num_workers > 0`` starts that many processes. Each gets a copy of the dataset and loads
    whole batches; up to ``prefetch_factor * num_workers`` batches are requested ahead, and they
    are yielded in sampler order. Batches cross the process boundary as NumPy arrays and become
    Tensors in the main process, so workers never use a GPU.

Start method
    On Linux the default is ``fork``: workers start in milliseconds and share the dataset's
    memory copy-on-write; the dataset need not be picklable. It is safe here because a worker
    only runs dataset code on the CPU: a forked child must not touch a CUDA context the parent
    created, so a worker that meets a CUDA tensor raises a RuntimeError saying so (and a
    TensorDataset held on a GPU is refused up front). Elsewhere the platform's default is used.
    Pass ``multiprocessing_context="spawn"`` (or ``"forkserver"``) when the dataset itself needs
    CUDA or the process runs threads that fork would copy in a locked state; the dataset,
    ``collate_fn`` and ``worker_init_fn`` must then be picklable.

Shutdown
    Workers exit when the iterator is exhausted (unless ``persistent_workers``), when it is
    garbage-collected, when the main process exits (they are daemonic and a finalizer shuts them
    down), and on their own within about a second if the main process dies without cleaning up.
    An exception in a worker is re-raised in the main process with the worker's traceback in its
    message, and the workers are shut down; a worker that dies, or ``timeout`` seconds without a
    batch, raise RuntimeError.
"""

from __future__ import annotations

import collections
import itertools
import multiprocessing
import multiprocessing.connection
import sys
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.context import BaseContext
from typing import Any, Generic, TypeVar

from ...random import Generator
from ._fetch import Fetcher
from ._pool import _JOIN_TIMEOUT, _pin_batch, _pinning_available, _unpack, _WorkerPool
from ._worker import ExceptionWrapper, _Exhausted
from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset, Subset, TensorDataset
from .sampler import (
    BatchSampler,
    GeneratorLike,
    RandomSampler,
    Sampler,
    SequentialSampler,
    _global_seed,
    _InfiniteConstantSampler,
    _rng,
)

T_co = TypeVar("T_co", covariant=True)

__all__ = ["DataLoader"]

_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
           "persistent_workers")


def _default_context() -> BaseContext:
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


class DataLoader(Generic[T_co]):
    """Iterates over batches of ``dataset``, as ``torch.utils.data.DataLoader``.

    Args:
        batch_size: samples per batch (default 1); ``None`` disables batching (each sample is
            passed through ``collate_fn``, default :func:`default_convert`).
        shuffle: visit a map-style dataset in a new random order each epoch (gpugrad's global
            generator, or ``generator``).
        sampler: any iterable of indices with ``__len__`` (exclusive with ``shuffle``).
        batch_sampler: an iterable of index lists (exclusive with ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``).
        num_workers: worker processes (0: load in the main process). See the module docstring.
        collate_fn: merges a list of samples into a batch (default :func:`default_collate`).
        pin_memory: put CPU batches in page-locked host memory, ready for fast copies to a GPU;
            where CUDA is unavailable it is accepted with a warning and does nothing.
        drop_last: drop the last batch if it is incomplete.
        timeout: seconds to wait for a batch from the workers before raising (0: forever).
        worker_init_fn: called with the worker id in each worker, after seeding.
        multiprocessing_context: a start method name or a ``multiprocessing`` context.
        generator: draws the shuffle order and the workers' base seed: a
            ``gpugrad.Generator``, a ``numpy.random.Generator`` or an object with NumPy's
            ``integers``/``permutation``.
        prefetch_factor: batches requested ahead per worker (default 2 with workers).
        persistent_workers: keep the workers alive between epochs.
        pin_memory_device: accepted for compatibility; pinning targets CUDA.
    """

    dataset: Dataset[T_co]
    batch_size: int | None
    drop_last: bool
    sampler: Sampler[Any] | Iterable[Any]
    batch_sampler: Sampler[list[Any]] | Iterable[list[Any]] | None
    num_workers: int
    collate_fn: Callable[[Any], Any]
    pin_memory: bool
    timeout: float
    worker_init_fn: Callable[[int], None] | None
    generator: GeneratorLike | Generator | None
    prefetch_factor: int | None
    persistent_workers: bool
    pin_memory_device: str

    def __init__(self, dataset: Dataset[T_co], batch_size: int | None = 1,
                 shuffle: bool | None = None,
                 sampler: Sampler[Any] | Iterable[Any] | None = None,
                 batch_sampler: Sampler[list[Any]] | Iterable[list[Any]] | None = None,
                 num_workers: int = 0, collate_fn: Callable[[Any], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context: str | BaseContext | None = None,
                 generator: GeneratorLike | Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "") -> None:
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing. let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        if isinstance(dataset, IterableDataset):
            if shuffle not in (False, None):
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if isinstance(dataset, IterableDataset):
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)  # type: ignore[arg-type]
            else:
                sampler = SequentialSampler(dataset)  # type: ignore[arg-type]
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)  # type: ignore[arg-type]

        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.num_workers, self.timeout = num_workers, timeout
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_sampler is not None else default_convert)
        self.pin_memory, self.pin_memory_device = bool(pin_memory), pin_memory_device
        self.worker_init_fn, self.generator = worker_init_fn, generator
        self.prefetch_factor, self.persistent_workers = prefetch_factor, persistent_workers
        self.multiprocessing_context = multiprocessing_context
        self._iterator: _MultiProcessIter | None = None
        self.__initialized = True

    def __setattr__(self, attr: str, val: Any) -> None:
        if self.__dict__.get("_DataLoader__initialized") and attr in _FROZEN:
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def multiprocessing_context(self) -> BaseContext | None:
        """The ``multiprocessing`` context the workers start from (``None``: the default)."""
        return self.__mp_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, ctx: str | BaseContext | None) -> None:
        if ctx is not None:
            if self.num_workers == 0:
                raise ValueError("multiprocessing_context can only be used with multi-process "
                                 "loading (num_workers > 0), but got num_workers=0")
            if isinstance(ctx, str):
                methods = multiprocessing.get_all_start_methods()
                if ctx not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid "
                                     f"start method in {methods!r}, but got {ctx!r}")
                ctx = multiprocessing.get_context(ctx)
            elif not isinstance(ctx, BaseContext):
                raise TypeError("multiprocessing_context option should be a valid context "
                                f"object or a string, but got {ctx!r}")
        self.__mp_context = ctx

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Iterable[Any]:
        return self.batch_sampler if self.batch_sampler is not None else self.sampler

    def __len__(self) -> int:
        """Batches per epoch (for an IterableDataset: from ``len(dataset)``, if it has one)."""
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)  # type: ignore[arg-type]
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return int(n)
        return len(self._index_sampler)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if self.persistent_workers:
            if self._iterator is None or self._iterator._pool.closed:
                self._iterator = _MultiProcessIter(self)
            else:
                self._iterator._reset()
            return self._iterator
        return _MultiProcessIter(self)


# ---------------------------------------------------------------------------------------------
# Iterators


def _base_seed(generator: GeneratorLike | Generator | None) -> int:
    """The workers' base seed, from ``generator`` or gpugrad's global generator."""
    return int(_rng(generator).integers(0, 2**62)) if generator is not None else _global_seed()


class _BaseIter(Iterator[Any]):
    def __init__(self, loader: DataLoader[Any]) -> None:
        self._loader = loader
        self._dataset = loader.dataset
        self._index_sampler = loader._index_sampler
        self._fetch = Fetcher(isinstance(loader.dataset, IterableDataset),
                              loader._auto_collation, loader.collate_fn, loader.drop_last)
        self._pin = loader.pin_memory and _pinning_available()
        self._base_seed = _base_seed(loader.generator)
        self._sampler_iter = iter(self._index_sampler)

    def __iter__(self) -> _BaseIter:
        return self

    def __len__(self) -> int:
        return len(self._loader)


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader: DataLoader[Any]) -> None:
        super().__init__(loader)
        self._state: Any = None

    def __next__(self) -> Any:
        index = next(self._sampler_iter)
        data, self._state = self._fetch(self._dataset, index, self._state)
        return _pin_batch(data) if self._pin else data


class _MultiProcessIter(_BaseIter):
    def __init__(self, loader: DataLoader[Any]) -> None:
        super().__init__(loader)
        ctx = loader.multiprocessing_context or _default_context()
        if ctx.get_start_method() == "fork":
            _refuse_cuda_tensors_under_fork(loader.dataset)
        self._n = loader.num_workers
        self._prefetch = max(1, int(loader.prefetch_factor or 2))  # 0 would request nothing
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        self._pool = _WorkerPool(ctx, loader, self._fetch, self._base_seed)
        # The finalizer holds the pool, not the iterator: dropping the iterator stops workers.
        self._finalizer = weakref.finalize(self, self._pool.shutdown)
        self._gen = -1
        self._received: collections.deque[tuple[int, int, Any]] = collections.deque()
        self._reset(first=True)

    def _reset(self, first: bool = False) -> None:
        """Start an epoch: a fresh sampler pass; results of an earlier epoch are ignored."""
        if not first:
            self._sampler_iter = iter(self._index_sampler)
        self._gen += 1
        self._send_idx = self._rcvd_idx = self._outstanding = 0
        self._task_info: dict[int, tuple[Any, ...]] = {}
        self._active = [True] * self._n
        self._cycle = itertools.cycle(range(self._n))
        for _ in range(self._prefetch * self._n):
            self._try_put_index()

    def _try_put_index(self) -> None:
        if self._outstanding >= self._prefetch * self._n:
            return
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._n):
            wid = next(self._cycle)
            if self._active[wid]:
                break
        else:
            return
        self._pool.send(wid, (self._gen, self._send_idx, index))
        self._task_info[self._send_idx] = (wid,)
        self._outstanding += 1
        self._send_idx += 1

    def _shutdown(self, join_timeout: float = _JOIN_TIMEOUT) -> None:
        self._pool.shutdown(join_timeout)
        self._finalizer.detach()

    def __next__(self) -> Any:
        if self._pool.closed:
            raise StopIteration
        while True:
            while self._rcvd_idx < self._send_idx:  # skip tasks of exhausted workers
                info = self._task_info[self._rcvd_idx]
                if len(info) == 2 or self._active[info[0]]:
                    break
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
                return self._process(info[1])
            idx, data = self._get_data()
            self._outstanding -= 1
            if isinstance(data, _Exhausted):
                self._active[data.worker_id] = False
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                self._task_info[idx] += (data,)
                continue
            del self._task_info[idx]
            self._rcvd_idx += 1
            return self._process(data)

    def _get_data(self) -> tuple[int, Any]:
        deadline = time.monotonic() + self._timeout if self._timeout else None
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                self._shutdown(0.0)
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            if self._received:
                gen, idx, data = self._received.popleft()
                if gen == self._gen:
                    return idx, data
                continue
            results, dead = self._pool.wait(remaining)
            self._received.extend(msg for _, msg in results)
            if dead and not self._received:
                pids = self._pool.describe(dead)
                self._shutdown(0.0)
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly")

    def _process(self, data: Any) -> Any:
        if isinstance(data, ExceptionWrapper):
            self._shutdown()
            data.reraise()
        self._try_put_index()
        return _unpack(data, self._pin)


def _refuse_cuda_tensors_under_fork(dataset: Any) -> None:
    while isinstance(dataset, Subset):
        dataset = dataset.dataset
    if isinstance(dataset, TensorDataset) and any(t.device.type != "cpu"
                                                  for t in dataset.tensors):
        raise RuntimeError("DataLoader workers started with 'fork' cannot read a TensorDataset "
                           "held on a GPU: keep the dataset on the CPU and move batches in the "
                           "main process, use num_workers=0, or pass "
                           "multiprocessing_context='spawn'")
