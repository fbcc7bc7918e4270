"""From a recording to a replay: prune, fold, hoist the guards, plan the buffers, write code.

The replay is one generated Python function (``Program.source`` shows it): the recorded calls
in order, each writing into a planned buffer through ``out=`` where it can, views of fixed
buffers computed once at build time, constants folded. Storage that outlives the call
(gradients, outputs) is allocated fresh on every replay, as eager would; the rest lives in
buffers shared by storages whose lifetimes do not overlap (first def to last use).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _device as _dev
from . import _chunk
from ._array import CaptureError
from ._codegen import _ABSENT, FAIL, MISS, CodeGen, Program, _address  # noqa: F401
from ._record import Node, Recorder, Ref

_EXTERNAL = ("persistent", "arg", "gradin")


def _refs(x: Any, out: list[int]) -> None:
    c = x.__class__
    if c is Ref:
        out.append(x.vid)
    elif c is tuple or c is list:
        for y in x:
            _refs(y, out)
    elif c is dict:
        for y in x.values():
            _refs(y, out)
    elif c is slice:
        _refs(x.start, out)
        _refs(x.stop, out)
        _refs(x.step, out)


def build(r: Recorder, outputs: Any, out_vids: list[int], guards: list[tuple],
          device_kind: str) -> Program:
    """Turn the capture ``r`` (its outputs: template ``outputs`` over values ``out_vids``;
    ``guards``: Python values to check, ``(kind, holder, name, value)``) into a Program, or
    raise CaptureError saying why it cannot replay."""
    if r.tainted:
        raise CaptureError(r.tainted)
    return _Builder(r, outputs, out_vids, guards, device_kind).program()


class _Builder(CodeGen):
    def __init__(self, r: Recorder, outputs: Any, out_vids: list[int], guards: list[tuple],
                 device_kind: str):
        self.r = r
        self.guards = guards
        self.vals = r.vals
        self.stores = r.stores
        self.outputs = outputs
        self.out_vids = out_vids
        self.xp = np if device_kind == "cpu" else _dev.cupy()
        self.nodes: list[Node] = list(r.nodes)

    # -- analysis -------------------------------------------------------------------------

    def sid(self, vid: int) -> int:
        return self.vals[vid].sid

    def kind(self, vid: int) -> str:
        return self.stores[self.vals[vid].sid].kind

    def program(self) -> Program:
        self.check_islands()
        self.prune()
        self.order_guards()
        self.classify()
        self.chains = _chunk.find(self)
        for c in self.chains:
            for v in c.temps:
                self.mode[self.sid(v)] = "scratch"
        self.plan()
        return self.codegen()

    def check_islands(self) -> None:
        produced = self.r.island_produced
        for n in self.nodes:
            if produced.intersection(n.reads):
                raise CaptureError("a value made inside an optimizer step is used after it")
        if produced.intersection(self.out_vids):
            raise CaptureError("the call returns a value made inside an optimizer step")
        for b in self.r.blocks:
            after = False
            for n in self.nodes:
                if n.block is not None and n.block == self.r.blocks.index(b):
                    after = True
                    continue
                if after and b["produced"].intersection(n.reads):
                    raise CaptureError("a value made inside an optimizer step is used after it")
            if b["produced"].intersection(self.out_vids):
                raise CaptureError("the call returns a value made inside an optimizer step")

    def prune(self) -> None:
        """Drop calls nothing needs (their values unused, their writes unread)."""
        live_vals = set(self.out_vids)
        live_sids = {self.sid(v) for v in self.out_vids}
        keep = []
        for n in reversed(self.nodes):
            if n.op != "call":
                live = True
            else:
                live = any(v in live_vals for v in n.outs) or any(
                    self.kind(w) in _EXTERNAL or self.sid(w) in live_sids for w in n.writes)
            if live:
                keep.append(n)
                for v in n.reads:
                    live_vals.add(v)
                    live_sids.add(self.sid(v))
                for w in n.writes:
                    live_vals.add(w)
        self.nodes = keep[::-1]

    def irreversible(self, n: Node) -> bool:
        """Whether the node changes what outlives the program. A draw from NumPy's generator
        is not: its state is saved before a guard that follows it and put back when the guard
        fails (CuPy's generator has no cheap state to save)."""
        return (n.op in ("setattr", "island") or n.block is not None
                or n.op == "rng" and self.xp is not np
                or any(self.kind(w) in _EXTERNAL for w in n.writes))

    def order_guards(self) -> None:
        """Move every value guard, with the calls it needs, in front of the first call that
        changes anything outside the program (a failed guard must leave nothing changed)."""
        self.save_rng = False
        guards = [i for i, n in enumerate(self.nodes) if n.op == "guard"]
        if not guards:
            return
        producer: dict[int, int] = {}
        writers: dict[int, list[int]] = {}
        for i, n in enumerate(self.nodes):
            for v in n.outs:
                producer[v] = i
            for w in n.writes:
                writers.setdefault(self.sid(w), []).append(i)
        cone: set[int] = set()
        stack = list(guards)
        while stack:
            i = stack.pop()
            if i in cone:
                continue
            cone.add(i)
            for v in self.nodes[i].reads:
                if v in producer and producer[v] < i:
                    stack.append(producer[v])
                for j in writers.get(self.sid(v), ()):
                    if j < i:
                        stack.append(j)
        draws = [i for i, n in enumerate(self.nodes) if n.op == "rng"]
        last = max((i for i in cone if self.nodes[i].op == "rng"), default=-1)
        cone.update(i for i in draws if i < last)  # draws keep their order
        ok = not any(self.irreversible(self.nodes[i]) for i in cone)
        if ok:
            cone_sids = {self.sid(v) for i in cone for v in self.nodes[i].outs}
            for i in cone:
                n = self.nodes[i]
                if any(self.sid(w) not in cone_sids for w in n.writes):
                    ok = False
        if ok:
            self.nodes = ([n for i, n in enumerate(self.nodes) if i in cone]
                          + [n for i, n in enumerate(self.nodes) if i not in cone])
        else:
            first = next((i for i, n in enumerate(self.nodes) if self.irreversible(n)),
                         len(self.nodes))
            if max(guards) > first:
                raise CaptureError("a tensor value read into Python after the call changed "
                                   "state (data-dependent Python)")
        last_guard = max(i for i, n in enumerate(self.nodes) if n.op == "guard")
        self.save_rng = any(n.op == "rng" for n in self.nodes[:last_guard])

    def classify(self) -> None:
        """How each value is had at replay: static (fixed object), planned (a buffer),
        fresh (allocated per replay: it outlives the call) or dynamic (a local)."""
        vals, nodes = self.vals, self.nodes
        written: set[int] = set()
        for n in nodes:
            for w in n.writes:
                written.add(self.sid(w))
        self.written = written
        self.read_vids = {v for n in nodes for v in n.reads}
        escaping: set[int] = {self.sid(v) for v in self.out_vids}
        for n in nodes:
            if n.op == "setattr" and n.args[0] is not None:
                escaping.add(self.sid(n.args[0].vid))
            if n.op == "island":
                for v in n.reads + n.writes:
                    escaping.add(self.sid(v))
        self.escaping = escaping
        self.const: dict[int, Any] = {}   # vid -> folded value
        mode: dict[int, str] = {}          # sid -> static / planned / fresh / dynamic
        for st in self.stores:
            if st.kind in ("persistent", "const"):
                mode[st.sid] = "static"
            elif st.kind in ("arg", "gradin"):
                mode[st.sid] = "input"
        for n in nodes:
            if n.op != "call" or not n.outs:
                continue
            foldable = (n.form != "empty" and not n.writes and all(
                self.kind(v) == "const" or v in self.const for v in n.reads))
            for v in n.outs:
                val = vals[v]
                s = val.sid
                if s in mode:
                    continue
                if foldable and s not in written and s not in escaping:
                    self.const[v] = val.arr
                    mode[s] = "folded"
                elif s in escaping:
                    mode[s] = "fresh"
                elif val.is_root and val.contig and (n.out_kw or n.form) and len(n.outs) == 1:
                    mode[s] = "planned"
                else:
                    mode[s] = "dynamic"
            if foldable and all(v in self.const or mode.get(self.sid(v)) == "folded"
                                for v in n.outs):
                for v in n.outs:
                    self.const.setdefault(v, vals[v].arr)
        self.mode = mode
        # folded values need their capture content: the real arrays of those calls
        self.folded_nodes = {i for i, n in enumerate(nodes) if n.op == "call" and n.outs
                             and all(mode.get(self.sid(v)) == "folded" for v in n.outs)}

    def plan(self) -> None:
        """Offsets in one arena for the planned storages (greedy by size over their live
        intervals, first def to last use); an elementwise ufunc whose input dies where its
        output is born writes over that input."""
        first: dict[int, int] = {}
        last: dict[int, int] = {}
        for i, n in enumerate(self.nodes):
            for v in n.outs:
                first.setdefault(self.sid(v), i)
            for v in n.reads + n.writes + n.outs:
                last[self.sid(v)] = i
        planned = [s for s, m in self.mode.items() if m in ("planned", "scratch") and s in first]
        size = {s: self._nbytes(s) for s in planned}
        for s in planned:
            if self.mode[s] == "scratch":
                size[s] = min(size[s], _chunk.CHUNK * self._itemsize(s))
        slot = {s: s for s in planned if self.mode[s] == "planned"}
        for i, n in enumerate(self.nodes):
            if not (n.op == "call" and isinstance(n.fn, np.ufunc) and len(n.outs) == 1):
                continue
            out = self.vals[n.outs[0]]
            if out.sid not in slot or first[out.sid] != i:
                continue
            for x in n.reads:
                xv = self.vals[x]
                s = xv.sid
                if (s in slot and s != out.sid and last[s] == i and self._whole(xv)
                        and xv.shape == out.shape and xv.dtype == out.dtype
                        and slot[s] == s and all(t != s for t in slot.values() if t != s)):
                    slot[out.sid] = s
                    break
        # the live interval and size of each slot (a storage and those written over it)
        span: dict[int, list[int]] = {}
        for s in planned:
            root = slot.setdefault(s, s)
            while slot[root] != root:
                root = slot[root]
            slot[s] = root
            lo, hi = span.get(root, [first[s], last[s]])
            span[root] = [min(lo, first[s]), max(hi, last[s])]
            size[root] = max(size[root], size[s])
        placed: list[tuple[int, int, int, int]] = []  # (offset, end, lo, hi)
        offset: dict[int, int] = {}
        for root in sorted(span, key=lambda r: (-size[r], span[r][0])):
            lo, hi = span[root]
            need = -(-size[root] // 64) * 64
            busy = sorted((o, e) for o, e, a, b in placed if a <= hi and lo <= b)
            at = 0
            for o, e in busy:
                if at + need <= o:
                    break
                at = max(at, e)
            offset[root] = at
            placed.append((at, at + need, lo, hi))
        total = max((e for _, e, _, _ in placed), default=0)
        self.arena: Any = self.xp.empty(total, np.uint8) if total else None
        self.buffers = [self.arena] if total else []
        self.buf_of = {s: (offset[slot[s]], size[s]) for s in planned}

    def _whole(self, v: Any) -> bool:
        """Whether value ``v`` is its whole storage laid out C-contiguously (the root itself
        or a reshape of it)."""
        if v.is_root:
            return True
        root = self.stores[v.sid].root
        return (v.contig and v.arr.nbytes == root.nbytes
                and _address(v.arr) == _address(root))

    def _itemsize(self, sid: int) -> int:
        return int(np.dtype(next(v for v in self.vals if v.sid == sid).dtype).itemsize)

    def _nbytes(self, sid: int) -> int:
        v = next(v for v in self.vals if v.sid == sid and v.is_root)
        return max(1, int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize)

    # -- code -----------------------------------------------------------------------------

