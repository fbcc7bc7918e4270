"""Rank 1 raises; rank 0 waits in an all_reduce that can never finish. MPI must end both."""

import gpugrad as gg
import gpugrad.distributed as dist

dist.init_process_group()
if dist.get_rank() == 1:
    raise ValueError("rank 1 fails on purpose")
dist.all_reduce(gg.ones(3))
