"""``DistributedSampler``: each process's share of a dataset's indices, as in PyTorch."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized

import numpy as np


class DistributedSampler:
    """Indices of ``dataset`` for one of ``num_replicas`` processes.

    Every epoch, all processes draw the same order (a permutation seeded by ``seed + epoch``
    when ``shuffle``), make its length a multiple of ``num_replicas`` — padding with indices
    from its start, or with ``drop_last`` cutting the tail — and process ``rank`` takes every
    ``num_replicas``-th index from position ``rank``. Call ``set_epoch(epoch)`` before each
    epoch to get a new order.

    Args:
        dataset: anything with ``len()``.
        num_replicas: the number of processes (default: the world size).
        rank: this process's rank (default: ``get_rank()``).
        shuffle: draw a new permutation each epoch (default True).
        seed: the base of the permutation's seed; the same on every process.
        drop_last: drop the tail instead of padding.
    """

    num_replicas: int
    rank: int
    epoch: int
    num_samples: int
    total_size: int
    shuffle: bool
    seed: int
    drop_last: bool

    def __init__(self, dataset: Sized, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from . import get_rank, get_world_size, is_initialized

            if not is_initialized():
                raise RuntimeError("DistributedSampler needs num_replicas and rank, or an "
                                   "initialised process group (init_process_group)")
            num_replicas = get_world_size() if num_replicas is None else num_replicas
            rank = get_rank() if rank is None else rank
        if not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(f"num_replicas must be a positive integer, got {num_replicas!r}")
        if not isinstance(rank, int) or not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas, self.rank = num_replicas, rank
        self.epoch = 0
        self.shuffle, self.seed, self.drop_last = bool(shuffle), int(seed), bool(drop_last)
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        if self.drop_last:
            order = order[:self.total_size]
        elif self.total_size > n:  # pad by repeating the order from its start
            order = np.resize(order, self.total_size)
        return iter(order[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use the order of ``epoch``: the same on every process, a new one each epoch."""
        self.epoch = int(epoch)
