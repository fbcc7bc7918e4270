"""Graph drawing: ``to_dot`` (Graphviz DOT text, no dependency) and ``draw_dot`` (graphviz).

Works for ``Value`` graphs (through ``_prev``/``_op``, as micrograd draws them) and for Tensor
graphs (through ``grad_fn``): one record per value or tensor, one node per op, edges in
data-flow order, left to right.
"""

from __future__ import annotations

from .autograd import AccumulateGrad
from .tensor import Tensor
from .value import Value


def _fmt(x: float) -> str:
    return f"{x:.4f}"


def _esc(s: str) -> str:
    for c in '\\{}|<>"':
        s = s.replace(c, "\\" + c)
    return s


class _Ids:
    """Names graph objects by the order they are first met (the same graph gives the same
    text on every run: no memory addresses)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.ids: dict[int, int] = {}

    def __call__(self, obj: object) -> str:
        return self.prefix + str(self.ids.setdefault(id(obj), len(self.ids)))


def _value_graph(root: Value):
    nodes, edges, seen, stack = [], [], set(), [root]
    name = _Ids("v")
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        vid = name(v)
        label = f"{{ {_esc(v.label)} | data {_fmt(v.data)} | grad {_fmt(v.grad)} }}"
        nodes.append((vid, {"label": label, "shape": "record"}))
        if v._op:
            nodes.append((vid + "op", {"label": _esc(v._op), "shape": "ellipse"}))
            edges.append((vid + "op", vid))
        for c in reversed(v._kids):
            edges.append((name(c), vid + "op"))
            stack.append(c)
    return nodes, edges


def _tensor_record(label: str, shape, dtype, grad) -> str:
    parts = [_esc(label)] if label else []
    parts.append(_esc(f"{tuple(shape)} {dtype}"))
    if grad is not None:
        parts.append("grad " + _esc(f"{tuple(grad.shape)}"))
    return "{ " + " | ".join(parts) + " }"


def _tensor_graph(root: Tensor, names: dict):
    names = {id(t): n for n, t in (names or {}).items()}
    nodes: list = []
    edges: list = []
    rid = "t0"
    fname = _Ids("f")
    nodes.append((rid, {"label": _tensor_record(names.get(id(root), "output"), root.shape,
                                               root.dtype, root.grad), "shape": "record"}))
    start = root.grad_fn
    if start is None:
        return nodes, edges
    edges.append((fname(start), rid))
    seen, stack = set(), [start]
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        fid = fname(fn)
        if isinstance(fn, AccumulateGrad):
            leaf = fn.leaf()
            if leaf is None:
                continue
            nodes.append((fid, {"label": _tensor_record(names.get(id(leaf), ""), leaf.shape,
                                                        leaf.dtype, leaf.grad),
                                "shape": "record", "style": "filled", "fillcolor": "lightblue"}))
            continue
        nodes.append((fid, {"label": fn.name, "shape": "ellipse"}))
        for nxt in fn.next_fns or ():
            if nxt is not None:
                edges.append((fname(nxt), fid))
                stack.append(nxt)
    return nodes, edges


def _graph(root, names=None):
    if isinstance(root, Value):
        return _value_graph(root)
    if isinstance(root, Tensor):
        return _tensor_graph(root, names)
    raise TypeError(f"can only draw a Value or a Tensor, not {type(root).__name__}")


def to_dot(root, rankdir: str = "LR", names: dict | None = None) -> str:
    """The graph that produced ``root`` as Graphviz DOT text.

    ``names`` (e.g. ``dict(model.named_parameters())``) labels leaf tensors.
    """
    nodes, edges = _graph(root, names)
    lines = ["digraph G {", f"  rankdir={rankdir};"]
    for nid, attrs in nodes:
        a = ", ".join(f'{k}="{v}"' for k, v in attrs.items())
        lines.append(f'  "{nid}" [{a}];')
    for src, dst in edges:
        lines.append(f'  "{src}" -> "{dst}";')
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw_dot(root, format: str = "svg", rankdir: str = "LR", names: dict | None = None):  # noqa: A002
    """A ``graphviz.Digraph`` of the graph (needs the graphviz extra: pip install gpugrad[viz])."""
    try:
        import graphviz
    except ImportError:
        raise ImportError('draw_dot needs the graphviz Python package: pip install "gpugrad[viz]" '
                          "(and the Graphviz programs to render)") from None
    nodes, edges = _graph(root, names)
    dot = graphviz.Digraph(format=format, graph_attr={"rankdir": rankdir})
    for nid, attrs in nodes:
        dot.node(nid, **attrs)
    for src, dst in edges:
        dot.edge(src, dst)
    return dot
