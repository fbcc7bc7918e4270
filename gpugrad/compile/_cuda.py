"""CUDA graphs for replays (``mode="reduce-overhead"``).

The replay's array calls, in segments between its Python effects (attributes set, optimizer
steps run as islands, a fast optimizer block's condition), are each captured once with CuPy's
stream capture and launched as a CUDA graph from then on; the Python effects run around the
launches. What graphs change, as in PyTorch:

- the tensor arguments are copied into static buffers before each launch (a graph reads fixed
  addresses);
- every array a segment makes lives in a private memory pool held by the program, at the
  same address on every replay: gradients are static (a replay overwrites the previous step's
  ``.grad`` arrays), outputs are copied out;
- the guards (range checks, values read into Python) run before the launches, as plain calls;
- random draws cannot be captured (CuPy's generator advances on the host): a program that
  draws replays flat, without graphs.

This module has not been run on a GPU yet; a capture that fails falls back to the flat replay.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from .. import _device as _dev
from ._codegen import _flatten, make_function

_LOCAL = re.compile(r"\b_v(\d+)\b")
_EFFECT = re.compile(r"(_t\d+|_A\[\d+\])\.(_grad|_data) = \S+|\S+\.v \+= \d+")


def attach_graph(prog: Any, cp: Any = None) -> None:
    """Make ``prog.run`` launch CUDA graphs where it runs on CUDA (nothing on the CPU).

    ``cp``: the CuPy module (by default ``_device.cupy()``); the tests pass a stand-in that
    runs segments on the CPU, to check the code around the graphs.
    """
    info = prog.parts
    if info is None or (info["xp"] is np and cp is None):
        return
    if info["rng"]:
        prog.notes.append("random draws cannot be captured in a CUDA graph: flat replay")
        return
    prog.graph = _GraphProgram(prog, cp)
    flat = prog.run

    def run(leaves: Any) -> Any:
        g = prog.graph
        if g is None:
            return flat(leaves)
        try:
            return g.run(leaves)
        except _CaptureFailedError as e:
            prog.graph = None
            prog.notes.append(f"CUDA graph capture failed ({e}): flat replay")
            return flat(leaves)

    prog.run = run


class _CaptureFailedError(RuntimeError):
    pass


class _GraphProgram:
    """The program as Python around captured segments."""

    def __init__(self, prog: Any, cp: Any = None) -> None:
        info = prog.parts
        cp = cp or _dev.cupy()
        self.cp = cp
        self.pool = cp.cuda.MemoryPool()  # the graphs' memory, never shared
        self.stream = cp.cuda.Stream(non_blocking=True)
        self.graphs: dict[int, Any] = {}
        self.L: dict[int, Any] = {}  # the arrays the segments made (fixed after capture)
        env = dict(info["env"])
        env.update(_L=self.L, _seg=self.segment, _arg=self.argument)
        parts = info["parts"]
        # the guards and what they need run as plain calls before any launch
        last_guard = max((i for i, p in enumerate(parts) if p[0] == "g"), default=-1)
        pre, rest = parts[:last_guard + 1], parts[last_guard + 1:]
        self.segments: list[Any] = []
        body = _flatten(pre) + self._lines(rest, env)
        body.append(f"return tuple(_x.copy() for _x in {info['outs']})")
        entry = [_arg_copy(line) for line in info["entry"]]
        lines = ["def _replay(_A):"]
        if info["miss"]:
            lines.append("    if " + " or ".join(info["miss"]) + ":")
            lines.append("        return _MISS")
        lines += ["    " + _LOCAL.sub(r"_L[\1]", x) for x in entry + body]
        self.source = "\n".join(lines) + "\n"
        self.run = make_function(self.source, env)

    def _lines(self, parts: list[Any], env: dict[str, Any]) -> list[str]:
        parts = list(parts)
        moved = True
        while moved:  # attributes set in Python can wait for the next run of array calls
            moved = False
            for i in range(len(parts) - 1):
                if (parts[i][0] == "p" and parts[i + 1][0] == "k"
                        and all(_EFFECT.fullmatch(line) for line in parts[i][1])):
                    parts[i], parts[i + 1] = parts[i + 1], parts[i]
                    moved = True
        merged: list[Any] = []
        for part in parts:  # neighbouring runs of array calls: one graph
            if part[0] == "k" and merged and merged[-1][0] == "k":
                merged[-1] = ("k", merged[-1][1] + part[1])
            else:
                merged.append(part)
        out: list[str] = []
        for part in merged:
            if part[0] == "k":
                k = len(self.segments)
                src = "def _s():\n" + "".join("    " + _LOCAL.sub(r"_L[\1]", line) + "\n"
                                              for line in part[1]) + "    return None\n"
                self.segments.append(make_function(src, env, "_s"))
                out.append(f"_seg({k})")
            elif part[0] == "b":
                _, cond, inner, island = part
                out.append(f"if {cond}:")
                out.extend("    " + line for line in self._lines(inner, env) or ["pass"])
                out.append("else:")
                out.append(f"    {island}")
            else:
                out.extend(part[1])
        return out

    def segment(self, k: int) -> None:
        """Launch segment ``k``'s graph, capturing it on its first launch."""
        cp = self.cp
        g = self.graphs.get(k)
        if g is None:
            s = self.stream
            s.wait_event(cp.cuda.get_current_stream().record())
            mode = getattr(cp.cuda.runtime, "streamCaptureModeRelaxed", None)
            try:
                with cp.cuda.using_allocator(self.pool.malloc), s:
                    s.begin_capture() if mode is None else s.begin_capture(mode)
                    try:
                        self.segments[k]()
                    finally:
                        g = s.end_capture()
            except Exception as e:  # noqa: BLE001 - any failure: the flat replay runs instead
                raise _CaptureFailedError(f"{type(e).__name__}: {e}") from e
            self.graphs[k] = g
        g.launch(stream=cp.cuda.get_current_stream())

    def argument(self, k: int, a: Any) -> Any:
        """Argument ``k``'s array copied into its static buffer."""
        buf = self.L.get(-1 - k)
        if buf is None or buf.shape != a.shape or buf.dtype != a.dtype:
            with self.cp.cuda.using_allocator(self.pool.malloc):
                buf = self.L[-1 - k] = self.cp.empty(a.shape, a.dtype)
        self.cp.copyto(buf, a)
        return buf


def _arg_copy(line: str) -> str:
    """``_vN = _A[k]._data`` becomes a copy into the static buffer of argument ``k``."""
    m = re.fullmatch(r"(_v\d+) = _A\[(\d+)\]\._data", line)
    if m is None:
        return line
    return f"{m.group(1)} = _arg({m.group(2)}, _A[{m.group(2)}]._data)"
