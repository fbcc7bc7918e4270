"""Code for a replay: the planned program as one generated Python function.

``CodeGen.codegen`` writes the nodes, in the order and with the buffers the plan chose, as
Python source over names bound to the objects they use (closure cells): a call per node
writing ``out=`` into its buffer, views of fixed storage made once (here, at build time), an
optimizer block under its condition, elementwise chains as loops over chunks. The source is
kept (``Program.source``) and also in parts, for CUDA graphs (``_cuda``).
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _device as _dev
from . import _chunk
from ._record import Node, Ref

MISS = object()  # a structural guard failed: the program does not fit this call
FAIL = object()  # a value guard failed before any effect: run this call eagerly

# NumPy deprecates a third positional argument of these (it once meant a third operand)
_NO_POSITIONAL_OUT = {np.maximum, np.minimum, np.fmax, np.fmin}
# ufunc.reduce(array, axis, dtype, out, keepdims): its keywords, in order, and defaults
_REDUCE_POS = (("axis", 0), ("dtype", None), ("out", None), ("keepdims", False))
_REDUCE_KW = {"axis", "dtype", "out", "keepdims"}


@dataclass(eq=False)

class Program:
    """A built replay: ``run(args)`` returns the output arrays, MISS or FAIL."""

    run: Any
    source: str
    outputs: Any                  # the output template (see ``CompiledFunction``)
    planned_bytes: int            # bytes of buffers held between replays
    buffers: int                  # how many
    nodes: int                    # calls per replay
    graph: Any = None             # CUDA graph runner (reduce-overhead), if any
    build: Any = None             # arrays -> the call's result (set by CompiledFunction)
    parts: Any = None             # the code in parts (for CUDA graphs)
    fallbacks: Any = None         # [optimizer steps run eagerly in a row]
    failed: Any = None            # sites of floating guards that failed
    notes: list[str] = field(default_factory=list)



class CodeGen:
    """The code half of the program builder (``_program._Builder``), which provides these."""

    r: Any
    vals: Any
    stores: Any
    nodes: list[Node]
    mode: dict[int, str]
    chains: list[Any]
    const: dict[int, Any]
    buf_of: dict[int, Any]
    arena: Any
    buffers: list[Any]
    out_vids: list[int]
    outputs: Any
    guards: list[tuple]
    xp: Any
    written: set[int]
    read_vids: set[int]
    escaping: set[int]
    save_rng: bool

    def sid(self, vid: int) -> int:  # pragma: no cover - the builder's
        raise NotImplementedError

    def kind(self, vid: int) -> str:  # pragma: no cover - the builder's
        raise NotImplementedError

    def codegen(self) -> Program:
        r = self.r
        self.fallbacks = [0]
        self.failed: list[str] = []
        env: dict[str, Any] = {"_MISS": MISS, "_FAIL": FAIL, "_copyto": self.xp.copyto,
                               "_E": self.fallbacks, "_F": self.failed,
                               "_asarray": self.xp.asarray, "_errstate": _errstate,
                               "_empty": self.xp.empty,
                               "_is": operator.is_, "_all": all, "_len": len, "_map": map,
                               "_absent": _ABSENT}
        ids: dict[int, str] = {}
        names: dict[int, str] = {}
        static: dict[int, Any] = {}

        def name_of(obj: Any, prefix: str = "_c") -> str:
            k = id(obj)
            nm = ids.get(k)
            if nm is None:
                nm = ids[k] = f"{prefix}{len(ids)}"
                env[nm] = obj
            return nm

        def tensor(t: Any) -> str:
            k = r.arg_paths.get(id(t))
            return f"_A[{k}]" if k is not None else name_of(t, "_t")

        def lit(x: Any) -> str:
            c = x.__class__
            if c is Ref:
                return names[x.vid]
            if x is None or c is bool or c is int or c is str:
                return repr(x)
            if c is float:
                return repr(x) if math.isfinite(x) else name_of(x)
            if x is Ellipsis:
                return "..."
            if c is tuple:
                return "(" + "".join(lit(y) + ", " for y in x) + ")"
            if c is list:
                return "[" + ", ".join(lit(y) for y in x) + "]"
            if c is slice:
                return f"slice({lit(x.start)}, {lit(x.stop)}, {lit(x.step)})"
            if c is dict and all(k.__class__ is str for k in x):
                return "{" + ", ".join(f"{k!r}: {lit(y)}" for k, y in x.items()) + "}"
            return name_of(x)

        def call_src(n: Node, out: str = "") -> str:
            args = [lit(a) for a in n.args]
            kw = dict(n.kwargs)
            if out:
                kw["out"] = Ref(-1)
                names[-1] = out
            fn = n.fn
            if (isinstance(fn, np.ufunc) and fn.nout == 1 and set(kw) <= {"out"}
                    and fn not in _NO_POSITIONAL_OUT and "out" in kw):
                args.append(lit(kw.pop("out")))  # keywords cost a little on every call
            elif (getattr(fn, "__name__", "") == "reduce" and isinstance(
                    getattr(fn, "__self__", None), np.ufunc) and set(kw) <= _REDUCE_KW
                    and len(n.args) == 1):
                args += [lit(kw.pop(k)) if k in kw else repr(d) for k, d in _REDUCE_POS]
            args += [f"{k}={lit(v)}" for k, v in kw.items()]
            return f"{name_of(fn, '_f')}({', '.join(args)})"

        self.lit, self.call_src, self.name_of = lit, call_src, name_of
        env["_rng_state"], env["_rng_restore"] = _rng_state, _rng_restore
        self.names, self.static = names, static

        # structural guards: identities, flags, Python values; then inputs read at entry
        miss: list[str] = []
        entry: list[str] = []
        for (_tid, attr), (t, _a, vid) in r.entry.items():
            tn = tensor(t)
            if vid is None:
                miss.append(f"{tn}.{attr} is not None")
                continue
            kind = self.kind(vid)
            if kind == "persistent":
                names[vid] = name_of(self.vals[vid].arr, "_s")
                static[vid] = self.vals[vid].arr
                miss.append(f"{tn}.{attr} is not {names[vid]}")
            elif kind == "arg" and attr == "_data":
                names[vid] = f"_v{vid}"
                entry.append(f"_v{vid} = {tn}._data")
            else:  # a gradient (or an argument's) read at entry: checked
                val = self.vals[vid]
                names[vid] = f"_v{vid}"
                entry.append(f"_v{vid} = {tn}.{attr}")
                entry.append(f"if _v{vid} is None or _v{vid}.shape != {val.shape!r} or "
                             f"_v{vid}.dtype != {name_of(val.dtype)}: return _MISS")
        for t in r.known.values():
            if id(t) not in r.arg_paths:
                miss.append(f"{tensor(t)}._requires_grad is not {t._requires_grad!r}")
        for kind, holder, key, value in self.guards:
            target = (f"{name_of(holder, '_h')}.cell_contents" if kind == "cell"
                      else f"{name_of(holder, '_h')}.get({key!r}, _absent)")
            if value is None or value.__class__ is bool:
                miss.append(f"{target} is not {value!r}")
            else:
                miss.append(f"{target} != {lit(value)}")

        # constants and folded values
        for v in self.vals:
            if self.stores[v.sid].kind == "const":
                static[v.vid] = v.snap
                names[v.vid] = name_of(v.snap, "_k")
        for vid, arr in self.const.items():
            static[vid] = arr
            names[vid] = name_of(arr, "_k")

        # the body: runs of nodes, grouped by optimizer block, then by errstate
        parts: list[Any] = []
        n_calls = 0
        i = 0
        nodes = self.nodes
        while i < len(nodes):
            b = nodes[i].block
            j = i
            while j < len(nodes) and nodes[j].block == b:
                j += 1
            run = self._run_src(nodes, i, j)
            n_calls += sum(len(lines) for kind, lines in run if kind == "k")
            if b is None:
                parts.extend(run)
            else:
                cond, bumps, island = self._block_src(b)
                parts.append(("b", cond, run + [("p", bumps)], island))
            i = j
        bumps = []
        for k, (c, v0) in r.versions.items():
            if c.v != v0:
                counter = (f"_A[{r.arg_versions[k]}]._version" if k in r.arg_versions
                           else name_of(c, "_n"))
                bumps.append(f"{counter}.v += {c.v - v0}")
        if bumps:
            parts.append(("p", bumps))
        outs = "(" + "".join(names[v] + ", " for v in self.out_vids) + ")"
        body = _flatten(parts) + [f"return {outs}"]
        lines = ["def _replay(_A):"]
        if miss:
            lines.append("    if " + " or ".join(miss) + ":")
            lines.append("        return _MISS")
        if self.save_rng:
            entry = ["_rs = _rng_state()"] + entry
        lines += ["    " + x for x in entry + body]
        source = "\n".join(lines) + "\n"
        run_fn = make_function(source, env)
        planned = 0 if self.arena is None else int(self.arena.nbytes)
        prog = Program(run_fn, source, self.outputs, planned, len(self.buffers), n_calls)
        prog.fallbacks = self.fallbacks
        prog.failed = self.failed
        prog.parts = dict(env=env, miss=miss, entry=entry, parts=parts, outs=outs,
                          names=names, vals=self.vals, xp=self.xp,
                          rng=any(n.op == "rng" for n in nodes))
        return prog

    def _run_src(self, nodes: list[Node], i: int, j: int) -> list[Any]:
        """Nodes ``i`` to ``j`` as parts: ("k", lines) array calls, ("p", lines) Python
        effects (attributes, islands, draws), ("g", lines) guards."""
        parts: list[Any] = []
        cur: Any = None
        chains = {c.start: c for c in self.chains}
        skip = -1
        for k in range(i, j):
            n = nodes[k]
            if k < skip:
                continue
            c = chains.get(k)
            if c is not None:
                src = self._chain_src(c)
                skip = c.stop
            else:
                src = self._node_src(n, k)
            if not src:
                continue
            kind = {"call": "k", "guard": "g"}.get(n.op, "p")
            es = n.errstate if kind == "k" else None
            if kind == "k" and es is not None:
                if not (parts and parts[-1][0] == "k" and cur == es):
                    parts.append(("k", [f"with _errstate({self._errstate_name(es)}):"]))
                parts[-1][1].extend("    " + line for line in src)
                cur = es
                continue
            cur = None
            if parts and parts[-1][0] == kind and not (kind == "k" and parts[-1][1][0]
                                                        .startswith("with ")):
                parts[-1][1].extend(src)
            else:
                parts.append((kind, list(src)))
        return parts

    def _errstate_name(self, es: dict) -> str:
        key = tuple(sorted(es.items()))
        cache = self.__dict__.setdefault("_es", {})
        if key not in cache:
            cache[key] = self.name_of(errstate_of(es), "_e")
        return cache[key]

    def _node_src(self, n: Node, k: int) -> list[str]:
        names, static, lit, call_src = self.names, self.static, self.lit, self.call_src
        mode = self.mode
        if n.op == "setattr":
            t = n.obj
            a = self.r.arg_paths.get(id(t))
            tn = f"_A[{a}]" if a is not None else self.name_of(t, "_t")
            return [f"{tn}.{n.attr} = {lit(n.args[0])}"]
        if n.op == "guard":
            back = "_rng_restore(_rs); " if self.save_rng else ""
            note = f"_F.append({n.attr!r}); " if n.attr else ""  # a floating value's site
            return [f"if {call_src(n)} != {lit(n.expect)}: {note}{back}return _FAIL"]
        if n.op == "island":
            return [f"{self.name_of(n.fn, '_i')}()"]
        if n.op == "rng":
            (v,) = n.outs
            names[v] = f"_v{v}"
            return [f"_v{v} = {call_src(n)}"]
        outs = n.outs
        if outs and all(v in self.const for v in outs):
            return []
        if outs and self._is_view_node(n):
            try:
                res = self._eval_static(n)
            except _NotStaticError:
                res = None
            if res is not None:  # a view of fixed storage: made once, now
                for v, a in zip(outs, res):
                    static[v] = a
                    names[v] = self.name_of(a, "_s")
                return []
        if not outs:
            return [call_src(n)]
        v = outs[0]
        val = self.vals[v]
        if mode.get(val.sid) == "planned" and len(outs) == 1 and val.is_root:
            buf = self._buffer_view(v)
            static[v] = buf
            b = names[v] = self.name_of(buf, "_b")
            if n.form == "empty":
                return []
            if n.form == "create":
                flat = val.snap.reshape(-1)
                if flat.size and bool((flat == flat[0]).all()):
                    return [f"{b}.fill({lit(flat[0].item())})"]
                return [f"_copyto({b}, {self.name_of(val.snap, '_k')})"]
            if n.form == "copy":
                return [f"_copyto({b}, {lit(n.args[0])})"]
            if n.form == "astype":
                return [f"_copyto({b}, {lit(n.args[0])}, casting='unsafe')"]
            return [call_src(n, b)]
        for w in outs:
            names[w] = f"_v{w}"
        lhs = ", ".join(f"_v{w}" for w in outs) + ("," if len(outs) > 1 else "")
        if n.form == "create" and val.snap is not None:
            return [f"{lhs} = {self.name_of(val.snap, '_k')}.copy()"]
        src = [f"{lhs} = {call_src(n)}"]
        for w in outs:
            if self.vals[w].scalar and (self.sid(w) in self.written or w in self.read_vids):
                src.append(f"_v{w} = _asarray(_v{w})")  # NumPy gave a scalar: used later
        return src

    def _chain_src(self, c: Any) -> list[str]:
        """An elementwise chain as a loop over chunks (see ``_chunk``)."""
        nodes = self.nodes[c.start:c.stop]
        bounds = [(o, min(o + _chunk.CHUNK, c.size)) for o in range(0, c.size, _chunk.CHUNK)]
        per_chunk: list[list[Any]] = [[o, e] for o, e in bounds]
        expr: dict[int, str] = {}
        pre: list[str] = []
        names, static = self.names, self.static

        def chunked(views: list[Any]) -> str:
            for row, view in zip(per_chunk, views):
                row.append(view)
            return f"_c{len(per_chunk[0]) - 3}"

        def operand(vid: int) -> str:
            if vid in expr:
                return expr[vid]
            val = self.vals[vid]
            if not val.shape:
                return names[vid]
            if vid in c.temps:
                off, nbytes = self.buf_of[val.sid]
                flat = self.arena[off:off + nbytes].view(val.dtype)
                expr[vid] = chunked([flat[:e - o] for o, e in bounds])
            elif vid in static:
                flat = static[vid].reshape(-1)
                expr[vid] = chunked([flat[o:e] for o, e in bounds])
            else:
                nm = names[vid]
                pre.append(f"{nm}f = {nm}.reshape(-1)")
                expr[vid] = f"{nm}f[_o:_e]"
            return expr[vid]

        body: list[str] = []
        for n in nodes:
            args = [operand(a.vid) if a.__class__ is Ref else self.lit(a) for a in n.args]
            if n.outs:
                (v,) = n.outs
                val = self.vals[v]
                if v not in c.temps:
                    if self.mode.get(val.sid) == "planned":
                        static[v] = self._buffer_view(v)
                        names[v] = self.name_of(static[v], "_b")
                    else:  # fresh: it outlives the call
                        names[v] = f"_v{v}"
                        pre.append(f"_v{v} = _empty({val.shape!r}, {self.name_of(val.dtype)})")
                args.append(f"out={operand(v)}")
            else:
                args.append(f"out={operand(n.kwargs['out'].vid)}")
            body.append(f"{self.name_of(n.fn, '_f')}({', '.join(args)})")
        cols = ", ".join(f"_c{k}" for k in range(len(per_chunk[0]) - 2))
        head = f"for _o, _e{', ' if cols else ''}{cols} in {self.name_of(per_chunk, '_K')}:"
        return pre + [head] + ["    " + line for line in body]

    def _buffer_view(self, vid: int) -> Any:
        val = self.vals[vid]
        off, _ = self.buf_of[val.sid]
        nbytes = int(np.prod(val.shape)) * np.dtype(val.dtype).itemsize
        return self.arena[off:off + nbytes].view(val.dtype).reshape(val.shape)

    def _is_view_node(self, n: Node) -> bool:
        return all(not self.vals[v].is_root and any(self.sid(x) == self.vals[v].sid
                                                    for x in n.reads) for v in n.outs)

    def _eval_static(self, n: Node) -> list[Any]:
        static = self.static

        def res(x: Any) -> Any:
            c = x.__class__
            if c is Ref:
                if x.vid not in static:
                    raise _NotStaticError
                return static[x.vid]
            if c is tuple or c is list:
                return c(res(y) for y in x)
            if c is dict:
                return {k: res(y) for k, y in x.items()}
            if c is slice:
                return slice(res(x.start), res(x.stop), res(x.step))
            return x

        out = n.fn(*res(n.args), **res(n.kwargs))
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        for v, a in zip(n.outs, outs):
            val = self.vals[v]
            if not hasattr(a, "shape") or a.shape != val.shape or a.dtype != val.dtype:
                raise _NotStaticError
        return outs

    def _block_src(self, b: int) -> tuple[str, list[str], str]:
        """An optimizer step recorded in line, run while its optimizer is as captured; the
        step itself (eager) otherwise: (the condition, its version bumps, the step)."""
        blk = self.r.blocks[b]
        name_of, lit = self.name_of, self.lit
        on = name_of(blk["opt"], "_o")
        conds = [f"_len({on}.param_groups) == {len(blk['groups'])}"]
        for gi, (g, items, params) in enumerate(blk["groups"]):
            gn = name_of(g, "_g")
            conds.append(f"{on}.param_groups[{gi}] is {gn}")
            conds.append(f"_len({gn}) == {len(items) + 1}")
            for k, v in items:
                conds.append(f"{gn}[{k!r}] == {lit(v)}")
            conds.append(f"_len({gn}['params']) == {len(params)}")
            conds.append(f"_all(_map(_is, {gn}['params'], {name_of(params, '_p')}))")
        for p, k, t in blk["paths"]:
            conds.append(f"{on}.state[{name_of(p, '_t')}].get({k!r}) is {name_of(t, '_t')}")
        bumps = [f"{name_of(self.r.versions[k][0], '_n')}.v += {d}"
                 for k, d in blk["bumps"].items()]
        # the step run eagerly: counted, so that a lasting change brings a new capture
        island = f"{name_of(blk['island'].fn, '_i')}(); _E[0] += 1"
        return " and ".join(conds), bumps + ["_E[0] = 0"], island



def _flatten(parts: list[Any], pad: str = "") -> list[str]:
    """Parts as the lines of one function body."""
    out: list[str] = []
    for part in parts:
        if part[0] == "b":
            _, cond, inner, island = part
            out.append(f"{pad}if {cond}:")
            out.extend(_flatten(inner, pad + "    ") or [pad + "    pass"])
            out.append(f"{pad}else:")
            out.append(f"{pad}    {island}")
        else:
            out.extend(pad + line for line in part[1])
    return out


def make_function(source: str, env: dict[str, Any], name: str = "_replay") -> Any:
    """Define the function in ``source`` with the objects of ``env`` it names as closure
    cells (cheaper to reach than globals)."""
    used = sorted(k for k in env if k in source)
    lines = source.rstrip("\n").split("\n")
    maker = (f"def _make({', '.join(used)}):\n"
             + "".join("    " + line + "\n" for line in lines) + f"    return {name}\n")
    ns: dict[str, Any] = {}
    exec(compile(maker, "<gpugrad.compile replay>", "exec"), ns)  # noqa: S102
    return ns["_make"](*[env[k] for k in used])


def _address(a: Any) -> int:
    if isinstance(a, np.ndarray):
        return int(a.__array_interface__["data"][0])
    return int(a.data.ptr)


class _NotStaticError(Exception):
    pass




_ABSENT = object()


def _rng_state() -> Any:
    """The host generator and its state (saved before a guard that follows a draw)."""
    g = _dev.default_engine(_dev.CPU)._rng
    return g, g.bit_generator.state


def _rng_restore(saved: Any) -> None:
    g, state = saved
    g.bit_generator.state = state

try:  # NumPy 2 keeps the floating-point error state in a context variable: set it directly
    from numpy._core._ufunc_config import (  # type: ignore[attr-defined]
        _extobj_contextvar as _extobj,
    )

    class _errstate:  # noqa: N801
        """``np.errstate`` at a fraction of its cost: the state captured, re-entered."""

        __slots__ = ("_ext", "_tok")

        def __init__(self, ext: Any) -> None:
            self._ext = ext

        def __enter__(self) -> None:
            self._tok = _extobj.set(self._ext)

        def __exit__(self, *exc: Any) -> None:
            _extobj.reset(self._tok)

    def errstate_of(es: dict) -> Any:
        with np.errstate(**es):
            return _extobj.get()

except ImportError:  # pragma: no cover - other NumPy versions
    def _errstate(es: dict) -> Any:  # type: ignore[no-redef]
        return np.errstate(**es)

    def errstate_of(es: dict) -> Any:
        return es

