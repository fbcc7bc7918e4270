"""CUDA graphs for replays (``mode="reduce-overhead"``): written, not yet run on a GPU."""

from __future__ import annotations

from typing import Any


def attach_graph(prog: Any) -> None:
    """Capture the replay of ``prog`` as a CUDA graph where it runs on CUDA (a no-op on the
    CPU)."""
