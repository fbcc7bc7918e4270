"""What PyTorch scripts print and save: result tuples, checkpoints with parameters and
requires_grad, the container types of state dicts."""

from __future__ import annotations

import io
import json
import re
from collections import Counter, OrderedDict

import numpy as np
import pytest

import gpugrad as gg
from gpugrad import serialization as S


def _round_trip(obj):
    buf = io.BytesIO()
    gg.save(obj, buf)
    buf.seek(0)
    return gg.load(buf)


# --- checkpoints ------------------------------------------------------------------------------


def test_parameter_and_requires_grad_round_trip():
    p = gg.nn.Parameter(gg.tensor([1.0, 2.0]))
    frozen = gg.nn.Parameter(gg.tensor([3.0]), requires_grad=False)
    leaf = gg.tensor([4.0, 5.0], requires_grad=True)
    made = leaf * 2  # not a leaf: loads as a leaf that requires grad, as PyTorch
    made.sum().backward()
    plain = gg.tensor([6.0])
    got = _round_trip({"p": p, "frozen": frozen, "leaf": leaf, "made": made, "plain": plain,
                       "again": p})
    assert type(got["p"]) is gg.nn.Parameter and got["p"].requires_grad
    assert type(got["frozen"]) is gg.nn.Parameter and not got["frozen"].requires_grad
    assert type(got["leaf"]) is gg.Tensor and got["leaf"].requires_grad and got["leaf"].is_leaf
    assert got["made"].requires_grad and got["made"].is_leaf and got["made"].grad_fn is None
    assert not got["plain"].requires_grad and type(got["plain"]) is gg.Tensor
    assert got["again"] is got["p"]
    assert got["leaf"].grad is None  # gradients are not saved
    assert got["made"].tolist() == [8.0, 10.0] and got["p"].tolist() == [1.0, 2.0]
    assert repr(got["p"]) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"


def test_module_state_dict_and_parameter_list_round_trip():
    lin = gg.nn.Linear(3, 2)
    sd = _round_trip(lin.state_dict())
    assert type(sd) is OrderedDict and list(sd) == ["weight", "bias"]
    assert not sd["weight"].requires_grad  # state_dict tensors are detached
    np.testing.assert_array_equal(sd["weight"].numpy(), lin.weight.detach().numpy())
    params = _round_trip(list(lin.parameters()))
    assert all(type(q) is gg.nn.Parameter and q.requires_grad for q in params)


def test_containers_and_scalars_load_as_pytorch_gives_them():
    got = _round_trip({
        "milestones": Counter({30: 1, 80: 2}), "od": OrderedDict([("b", 1), ("a", 2)]),
        "set": {1, 2, "x"}, "complex": complex(1.5, -2.0), "bytes": b"\x00ab",
        "bytearray": bytearray(b"xy"), "size": gg.Size([2, 3]), "dtype": gg.float16,
        "device": gg.device("cpu"), "np32": np.float32(0.5), "np64": np.int64(-3),
        "npbool": np.bool_(True), "keys": {None: 1, 2.5: 2, (1, "a"): 3, b"k": 4, True: 5},
        "nan_complex": complex(float("nan"), float("inf")),
    })
    assert type(got["milestones"]) is Counter and got["milestones"] == Counter({30: 1, 80: 2})
    assert type(got["od"]) is OrderedDict and list(got["od"].items()) == [("b", 1), ("a", 2)]
    assert got["set"] == {1, 2, "x"} and got["complex"] == complex(1.5, -2.0)
    assert got["bytes"] == b"\x00ab" and type(got["bytes"]) is bytes
    assert got["bytearray"] == bytearray(b"xy") and type(got["bytearray"]) is bytearray
    assert type(got["size"]) is gg.Size and got["size"] == (2, 3)
    assert got["dtype"] is gg.float16 and got["device"] == gg.device("cpu")
    # NumPy scalars come back as NumPy scalars of their dtype (PyTorch's weights_only=False)
    assert type(got["np32"]) is np.float32 and got["np32"] == 0.5
    assert type(got["np64"]) is np.int64 and got["np64"] == -3
    assert type(got["npbool"]) is np.bool_ and got["npbool"]
    assert got["keys"] == {None: 1, 2.5: 2, (1, "a"): 3, b"k": 4, True: 5}
    c = got["nan_complex"]
    assert np.isnan(c.real) and c.imag == float("inf")


def test_multistep_scheduler_state_round_trips():
    p = gg.nn.Parameter(gg.zeros(1))
    opt = gg.optim.SGD([p], lr=1.0)
    sched = gg.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 4, 4], gamma=0.5)
    state = _round_trip(sched.state_dict())
    assert state["milestones"] == sched.state_dict()["milestones"]
    assert type(state["milestones"]) is type(sched.state_dict()["milestones"])


@pytest.mark.parametrize("obj,where", [
    ({"s": {1, object()}}, r"obj\['s'\] item <object object .*> is of type object"),
    ({(1, object()): 1}, r"obj key \(1, <object .*\)\[1\] is of type object"),
    ({"f": frozenset()}, r"obj\['f'\] is of type frozenset"),
])
def test_refusals_name_where(obj, where):
    with pytest.raises(TypeError, match=where):
        _round_trip(obj)


def _format1_file() -> bytes:
    """A checkpoint exactly as the format-1 writer (before parameters and flags) wrote it."""
    meta = {"format": 1, "obj": {"__dict__": [
        ["w", {"__tensor__": "a0", "device": "cpu"}], ["step", 3], ["f", {"__float__": "nan"}],
        ["t", {"__tuple__": [1, "x"]}], ["n", 0.5], ["same", {"__tensor__": "a0",
                                                              "device": "cpu"}]]}}
    buf = io.BytesIO()
    np.savez(buf, a0=np.array([1.5, -2.0], np.float32), __gpugrad__=np.array(json.dumps(meta)))
    return buf.getvalue()


def test_format1_files_still_load(tmp_path):
    path = tmp_path / "old.ckpt"
    path.write_bytes(_format1_file())
    got = gg.load(path)
    assert list(got) == ["w", "step", "f", "t", "n", "same"]
    assert type(got["w"]) is gg.Tensor and not got["w"].requires_grad
    assert got["w"].tolist() == [1.5, -2.0] and got["w"].dtype == gg.float32
    assert got["step"] == 3 and np.isnan(got["f"]) and got["t"] == (1, "x") and got["n"] == 0.5
    assert got["same"] is got["w"]


def test_new_files_are_format_2_and_bad_flags_are_refused(tmp_path):
    buf = io.BytesIO()
    gg.save({"p": gg.nn.Parameter(gg.ones(1))}, buf)
    buf.seek(0)
    meta = json.loads(np.load(buf)["__gpugrad__"].item())
    assert meta["format"] == 2
    assert meta["obj"]["__dict__"][0][1] == {"__tensor__": "a0", "device": "cpu",
                                             "requires_grad": True, "parameter": True}
    bad = {"format": 2, "obj": {"__tensor__": "a0", "device": "cpu", "parameter": "yes"}}
    out = io.BytesIO()
    np.savez(out, a0=np.zeros(1), __gpugrad__=np.array(json.dumps(bad)))
    out.seek(0)
    with pytest.raises(S.CheckpointError, match="flag 'parameter'"):
        gg.load(out)


# --- result tuples ----------------------------------------------------------------------------


def test_result_tuples_print_as_pytorch():
    x = gg.tensor([[1.0, 3.0], [2.0, 0.0]])
    assert repr(x.max(1)) == ("gpugrad.return_types.max(\nvalues=tensor([3., 2.]),\n"
                              "indices=tensor([1, 0]))")
    assert str(x.min(1)) == ("gpugrad.return_types.min(\nvalues=tensor([1., 0.]),\n"
                             "indices=tensor([0, 1]))")
    assert repr(x.aminmax()) == ("gpugrad.return_types.aminmax(\nmin=tensor(0.),\n"
                                 "max=tensor(3.))")
    assert repr(x.cummin(0)) == ("gpugrad.return_types.cummin(\nvalues=tensor([[1., 3.],\n"
                                 "        [1., 0.]]),\nindices=tensor([[0, 0],\n        [0, 1]]))")
    names = {
        "max": x.max(0), "min": x.min(0), "sort": x.sort(0), "topk": x.topk(1),
        "kthvalue": x.kthvalue(1, 0), "median": x.median(0), "nanmedian": x.nanmedian(0),
        "mode": x.mode(0), "cummax": x.cummax(0), "cummin": x.cummin(0), "aminmax": x.aminmax(),
    }
    for name, r in names.items():
        assert type(r) is getattr(gg.return_types, name) and name in gg.return_types.__all__
        assert repr(r).startswith(f"gpugrad.return_types.{name}(\n")


def test_result_tuples_stay_named_tuples():
    x = gg.tensor([[1.0, 3.0], [2.0, 0.0]])
    r = x.max(1)
    values, indices = r
    assert values.tolist() == [3.0, 2.0] and indices.tolist() == [1, 0]
    assert r[0] is r.values and r[1] is r.indices and len(r) == 2
    assert r._fields == ("values", "indices") and isinstance(r, tuple)
    lo, hi = x.aminmax()
    assert lo.item() == 0.0 and hi.item() == 3.0


# --- grad_fn names ----------------------------------------------------------------------------


def _names():
    x = gg.randn(3, 4, requires_grad=True)
    v = gg.randn(4, requires_grad=True)
    b = gg.randn(2, 3, 4, requires_grad=True)
    s = gg.randn((), requires_grad=True)
    w, bias, target = gg.randn(2, 4), gg.randn(2), gg.tensor([0, 1, 2])
    f = gg.nn.functional
    # each expected name is what PyTorch 2.13 prints for the same expression
    return [
        (x[0], "SelectBackward0"), (x[1:], "SliceBackward0"), (x[:, 1], "SelectBackward0"),
        (x[0, 1], "SelectBackward0"), (x[1:, 0], "SelectBackward0"), (x[0, 1:], "SliceBackward0"),
        (x[0:2, 1:3], "SliceBackward0"), (x[::2], "SliceBackward0"), (x[:], "SliceBackward0"),
        (x[:, :], "AliasBackward0"), (x[:, 0:4], "AliasBackward0"), (x[...], "AliasBackward0"),
        (x[None], "UnsqueezeBackward0"), (x[0, None], "UnsqueezeBackward0"),
        (x[None, 0], "SelectBackward0"), (b[..., 0], "SelectBackward0"),
        (x[[0, 1]], "IndexBackward0"), (x[x > 0], "IndexBackward0"),
        (gg.gather(x, 1, gg.tensor([[0, 1], [1, 0], [2, 2]])), "GatherBackward0"),
        (gg.take_along_dim(x, gg.tensor([[0], [1], [2]]), 1), "GatherBackward0"),
        (x.index_select(0, gg.tensor([0, 2])), "IndexSelectBackward0"),
        (x.masked_select(x > 0), "MaskedSelectBackward0"),
        (x.take(gg.tensor([0, 5])), "TakeBackward0"),
        (x.narrow(0, 1, 2), "SliceBackward0"), (x.select(0, 1), "SelectBackward0"),
        (x.view(12), "ViewBackward0"), (x.reshape(12), "ViewBackward0"),
        (x.flatten(), "ViewBackward0"), (x.unsqueeze(0), "UnsqueezeBackward0"),
        (x[None].squeeze(0), "SqueezeBackward1"), (x[None].squeeze(), "SqueezeBackward0"),
        (x.t(), "TBackward0"), (v.t(), "TBackward0"), (s.t(), "TBackward0"),
        (x.permute(1, 0), "PermuteBackward0"), (x.T, "PermuteBackward0"),
        (x.transpose(0, 1), "TransposeBackward0"),
        (x @ x.T, "MmBackward0"), (x.mm(x.T), "MmBackward0"), (x @ v, "MvBackward0"),
        (gg.mv(x, v), "MvBackward0"), (v @ v, "DotBackward0"), (gg.dot(v, v), "DotBackward0"),
        (v @ x.T, "SqueezeBackward4"), (b @ b.mT, "UnsafeViewBackward0"),
        (b @ v, "UnsafeViewBackward0"), (gg.bmm(b, b.mT), "BmmBackward0"),
        (f.linear(x, w, bias), "AddmmBackward0"), (f.linear(x, w), "MmBackward0"),
        (f.linear(b, w, bias), "ViewBackward0"), (f.linear(b, w), "UnsafeViewBackward0"),
        (f.linear(v, w, bias), "ViewBackward0"), (f.linear(v, w), "SqueezeBackward4"),
        (f.cross_entropy(x, target), "NllLossBackward0"),
        (f.cross_entropy(x, target, label_smoothing=0.1), "AddBackward0"),
        (x.sum(), "SumBackward0"), (x.sum(1), "SumBackward1"), (x.sum((0, 1)), "SumBackward1"),
        (x.mean(), "MeanBackward0"), (x.mean(1), "MeanBackward1"),
        (x.mean((0, 1)), "MeanBackward1"), (x * 2, "MulBackward0"),
    ]


def test_grad_fn_names_are_pytorchs():
    for i, (t, name) in enumerate(_names()):
        assert t.grad_fn.node_name() == name, (i, repr(t.grad_fn), name)
        assert repr(t.grad_fn).startswith(f"<{name} object at 0x")


def test_nn_linear_and_names_survive_backward():
    lin = gg.nn.Linear(4, 2)
    x = gg.randn(3, 4)
    out = lin(x)
    assert out.grad_fn.node_name() == "AddmmBackward0"
    loss = gg.nn.functional.cross_entropy(out, gg.tensor([0, 1, 1]))
    sel = out[0].sum()
    loss.backward(retain_graph=True)
    sel.backward()  # frees what forward saved; the names stay
    assert loss.grad_fn.node_name() == "NllLossBackward0"
    assert out.grad_fn.node_name() == "AddmmBackward0"
    assert sel.grad_fn.node_name() == "SumBackward0"
    assert repr(sel.grad_fn.next_fns) == "None"  # released
    sel_fn = out[1:].grad_fn
    assert sel_fn.node_name() == "SliceBackward0"


def test_anomaly_message_names_the_pytorch_node():
    x = gg.tensor([[0.0, 1.0]], requires_grad=True)
    with gg.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="Function 'SelectBackward0' returned nan"):
            x[0, 1].backward(gg.tensor(float("nan")))


def test_t_of_a_vector_is_a_new_view():
    v = gg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = v.t()
    assert w is not v and w.shape == (3,) and w.grad_fn.node_name() == "TBackward0"
    (w * gg.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert v.grad.tolist() == [1.0, 10.0, 100.0]
    plain = gg.tensor([1.0, 2.0])
    view = plain.t()
    assert view is not plain and view.grad_fn is None
    view[0] = 5.0  # shares storage with its base, as PyTorch's view
    assert plain.tolist() == [5.0, 2.0]
    s = gg.tensor(2.0)
    assert s.t() is not s and s.t().item() == 2.0


def test_grad_fn_reprs_take_pytorchs_forms():
    """``repr(grad_fn)`` is ``<MulBackward0 object at 0x...>``; a tensor's repr names the node
    alone, ``grad_fn=<MulBackward0>`` (both as PyTorch prints them)."""
    y = gg.tensor([1.0, 2.0], requires_grad=True) * 2
    assert re.fullmatch(r"<MulBackward0 object at 0x[0-9a-f]+>", repr(y.grad_fn))
    assert repr(y) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
