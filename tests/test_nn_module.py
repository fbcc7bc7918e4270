"""Module bookkeeping: attribute registration, buffers, containers, traversal, devices and
dtypes, state dicts (buffers included, strict failures change nothing) and reprs."""

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.nn as nn

from .conftest import host


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.head = nn.Linear(4, 2)
        self.register_buffer("scale", gg.tensor([2.0]))
        self.register_buffer("cache", gg.zeros(2), persistent=False)

    def forward(self, x):
        return self.head(self.bn(self.fc(x)).relu()) * self.scale


def test_setattr_registers_and_moves_between_registries():
    m = nn.Module()
    p = nn.Parameter(gg.ones(2))
    m.w = p
    assert m._parameters["w"] is p and m.w is p
    m.w = None  # a parameter slot may be emptied
    assert m.w is None and "w" in m._parameters
    m.w = p
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'w'"):
        m.w = gg.ones(2)
    m.sub = nn.Linear(1, 1)
    with pytest.raises(TypeError, match="as child module 'sub'"):
        m.sub = 3
    m.sub = nn.Parameter(gg.ones(1))  # a Parameter replaces the module
    assert "sub" not in m._modules and "sub" in m._parameters
    m.register_buffer("b", gg.zeros(3))
    with pytest.raises(TypeError, match="as buffer 'b'"):
        m.b = [1, 2]
    m.b = gg.ones(3)  # a Tensor assigned to a buffer's name stays a buffer
    assert host(m._buffers["b"]).tolist() == [1, 1, 1]
    m.plain = gg.ones(1)  # a plain Tensor attribute is not registered
    assert "plain" not in dict(m.named_buffers()) and "plain" not in dict(m.named_parameters())
    del m.w, m.b, m.sub
    assert not m._parameters and not m._buffers and not hasattr(m, "w")
    with pytest.raises(AttributeError, match="no attribute 'w'"):
        _ = m.w


def test_register_checks_names_and_types():
    m = nn.Linear(2, 2)
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("weight", gg.zeros(1))
    with pytest.raises(KeyError, match="already exists"):
        m.add_module("in_features", nn.ReLU())
    with pytest.raises(KeyError, match="empty"):
        m.add_module("", nn.ReLU())
    with pytest.raises(TypeError, match="should be a string"):
        m.register_buffer(3, None)
    with pytest.raises(TypeError, match="gpugrad.Tensor or None"):
        m.register_buffer("x", np.zeros(2))
    with pytest.raises(TypeError, match="Parameter or None"):
        m.register_parameter("x", gg.zeros(2))
    with pytest.raises(TypeError, match="not a Module subclass"):
        m.add_module("x", 3)
    m.register_module("act", nn.Tanh())
    assert m.get_submodule("act").__class__ is nn.Tanh


def test_buffers_persistence_and_traversal():
    m = Net()
    assert [n for n, _ in m.named_buffers()] == [
        "scale", "cache", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]
    assert list(m.state_dict()) == [
        "scale", "fc.weight", "fc.bias", "bn.weight", "bn.bias", "bn.running_mean",
        "bn.running_var", "bn.num_batches_tracked", "head.weight", "head.bias"]
    assert [n for n, _ in m.named_parameters(prefix="net", recurse=True)][:2] == [
        "net.fc.weight", "net.fc.bias"]
    assert list(dict(m.named_parameters(recurse=False))) == []
    assert [n for n, _ in m.named_children()] == ["fc", "bn", "head"]
    assert [n for n, _ in m.named_modules()] == ["", "fc", "bn", "head"]
    assert m.get_parameter("bn.weight") is m.bn.weight
    assert m.get_buffer("bn.running_var") is m.bn.running_var
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        m.get_submodule("fc.nope")
    with pytest.raises(AttributeError, match="not an nn.Parameter"):
        m.get_parameter("bn.running_mean")
    seen = []
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen == ["Linear", "BatchNorm1d", "Linear", "Net"]  # children first


def test_shared_modules_and_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.named_modules())) == 3
    assert len(list(seq.named_modules(remove_duplicate=False))) == 4
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_train_eval_requires_grad_and_zero_grad(device):
    m = Net().to(device)
    assert m.eval() is m and not m.bn.training and not m.training
    m.train()
    assert m.bn.training
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    m.requires_grad_()
    m(gg.randn(5, 3, device=device)).sum().backward()
    m.zero_grad(set_to_none=False)
    assert all(host(p.grad).sum() == 0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    with pytest.raises(ValueError, match="boolean"):
        m.train("yes")


def test_to_and_casts_touch_floating_buffers_only(device):
    m = Net()
    w = m.fc.weight
    m.to(device).double()
    assert m.fc.weight is w and w.dtype == gg.float64 and str(w.device).startswith(device)
    assert m.bn.running_mean.dtype == gg.float64 and m.cache.dtype == gg.float64
    assert m.bn.num_batches_tracked.dtype == gg.int64
    assert str(m.cache.device).startswith(device)  # non-persistent buffers move too
    m.half()
    assert m.fc.weight.dtype == gg.float16 and m.scale.dtype == gg.float16
    assert m.bn.num_batches_tracked.dtype == gg.int64
    m.float()
    assert m.bn.running_var.dtype == gg.float32
    with pytest.raises(TypeError, match="floating point"):
        m.to(gg.int64)


def test_state_dict_round_trip_with_buffers(device, tmp_path):
    gg.manual_seed(0)
    a = Net().to(device)
    for _ in range(3):
        a(gg.randn(8, 3, device=device))
    a.cache.fill_(7.0)
    gg.save(a.state_dict(), tmp_path / "net.pt")
    b = Net().to(device)
    res = b.load_state_dict(gg.load(tmp_path / "net.pt"))
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert repr(res) == "<All keys matched successfully>"
    for (k, va), (_, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(host(va), host(vb), err_msg=k)
    assert b.bn.num_batches_tracked.item() == 3
    assert host(b.cache).tolist() == [0.0, 0.0]  # not persistent: not saved, not loaded
    x = gg.randn(4, 3, device=device)
    a.eval(), b.eval()
    np.testing.assert_array_equal(host(a(x)), host(b(x)))


def test_failed_strict_load_changes_nothing():
    m = Net()
    m(gg.randn(6, 3))
    before = {k: host(v).copy() for k, v in m.state_dict().items()}
    good = {k: v.clone() + 1 for k, v in m.state_dict().items()}
    bad = dict(good)
    del bad["bn.running_var"]
    bad["bn.extra"] = gg.ones(1)
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(bad)
    msg = str(e.value)
    assert msg.index('Missing key(s) in state_dict: "bn.running_var"') < msg.index(
        'Unexpected key(s) in state_dict: "bn.extra"')
    bad = dict(good)
    bad["bn.running_mean"] = gg.zeros(5)
    with pytest.raises(RuntimeError, match="size mismatch for bn.running_mean"):
        m.load_state_dict(bad, strict=False)  # shapes are checked even when not strict
    with pytest.raises(TypeError, match="dict-like"):
        m.load_state_dict([1, 2])
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(host(v), before[k], err_msg=k)
    partial = {k: v for k, v in good.items() if not k.startswith("head")}
    partial["unused"] = gg.ones(1)
    res = m.load_state_dict(partial, strict=False)
    assert res.missing_keys == ["head.weight", "head.bias"] and res.unexpected_keys == ["unused"]
    np.testing.assert_allclose(host(m.bn.running_mean), before["bn.running_mean"] + 1, rtol=1e-6)
    np.testing.assert_array_equal(host(m.head.weight), before["head.weight"])


def test_module_list(device):
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    ml.append(nn.ReLU())
    ml.insert(0, nn.Tanh())
    assert [type(m).__name__ for m in ml] == ["Tanh", "Linear", "Linear", "Linear", "ReLU"]
    assert list(ml._modules) == ["0", "1", "2", "3", "4"]
    assert isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2 and ml[-1] is ml[4]
    assert len(list(ml.parameters())) == 6
    popped = ml.pop(0)
    assert isinstance(popped, nn.Tanh) and list(ml._modules) == ["0", "1", "2", "3"]
    del ml[3]
    ml += [nn.Sigmoid()]
    ml[0] = nn.Linear(2, 2, bias=False)
    assert len(ml) == 4 and ml[0].bias is None and isinstance(ml[3], nn.Sigmoid)
    ml.to(device)
    assert all(str(p.device).startswith(device) for p in ml.parameters())
    with pytest.raises(IndexError, match="out of range"):
        ml[4]
    with pytest.raises(TypeError, match="iterable of modules"):
        ml.extend(nn.ReLU())
    assert repr(nn.ModuleList([nn.Linear(2, 3), nn.Linear(2, 3), nn.ReLU(), nn.Linear(2, 3)])) \
        == ("ModuleList(\n"
            "  (0-1): 2 x Linear(in_features=2, out_features=3, bias=True)\n"
            "  (2): ReLU()\n"
            "  (3): Linear(in_features=2, out_features=3, bias=True)\n"
            ")")


def test_module_dict():
    md = nn.ModuleDict({"enc": nn.Linear(2, 3), "act": nn.ReLU()})
    md["dec"] = nn.Linear(3, 2)
    assert list(md) == ["enc", "act", "dec"] and "act" in md and len(md) == 3
    assert [n for n, _ in md.named_parameters()] == ["enc.weight", "enc.bias", "dec.weight",
                                                     "dec.bias"]
    md.update([("act", nn.Tanh())])
    assert isinstance(md["act"], nn.Tanh) and list(md.keys()) == ["enc", "act", "dec"]
    assert isinstance(md.pop("act"), nn.Tanh) and list(md) == ["enc", "dec"]
    with pytest.raises(ValueError, match="pair"):
        md.update([nn.ReLU()])
    md.clear()
    assert len(md) == 0 and not list(md.parameters())


def test_parameter_list_and_dict(device):
    pl = nn.ParameterList([gg.randn(3, 4), nn.Parameter(gg.randn(5))])
    pl.append(gg.zeros(2))
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in pl)
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"] and len(pl) == 3
    pl.to(device, gg.float64)
    assert pl[0].dtype == gg.float64 and str(pl[-1].device).startswith(device)
    assert repr(nn.ParameterList([gg.zeros(3, 4), gg.zeros(5)])) == (
        "ParameterList(\n"
        "    (0): Parameter containing: [gpugrad.float32 of size 3x4]\n"
        "    (1): Parameter containing: [gpugrad.float32 of size 5]\n"
        ")")
    pd = nn.ParameterDict({"a": gg.ones(2), "b": gg.zeros(3)})
    pd["c"] = gg.ones(1)
    assert list(pd) == ["a", "b", "c"] and isinstance(pd["c"], nn.Parameter)
    assert [n for n, _ in pd.named_parameters()] == ["a", "b", "c"]
    assert list(pd.state_dict()) == ["a", "b", "c"]
    assert host(pd.pop("b")).shape == (3,) and "b" not in pd and pd.get("b") is None
    assert pd.setdefault("d", gg.ones(4)).shape == (4,) and len(pd) == 3
    model = nn.Module()
    model.params = pd
    opt = gg.optim.SGD(model.parameters(), lr=1.0)
    (pd["a"].sum() * 2).backward()
    opt.step()
    np.testing.assert_array_equal(host(pd["a"]), [-1.0, -1.0])


def test_reprs():
    assert repr(nn.BatchNorm1d(8)) == (
        "BatchNorm1d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)")
    assert repr(nn.LayerNorm([4, 5], elementwise_affine=False)) == (
        "LayerNorm((4, 5), eps=1e-05, elementwise_affine=False, bias=False)")
    assert repr(nn.Embedding(10, 3, padding_idx=0)) == "Embedding(10, 3, padding_idx=0)"
    assert repr(nn.Unflatten(1, (2, 5))) == "Unflatten(dim=1, unflattened_size=(2, 5))"
    assert repr(nn.LazyLinear(4)) == "LazyLinear(in_features=0, out_features=4, bias=True)"
    reprs = {
        nn.SiLU(): "SiLU()", nn.ELU(): "ELU(alpha=1.0)", nn.Mish(): "Mish()",
        nn.Softplus(): "Softplus(beta=1.0, threshold=20.0)", nn.ReLU6(): "ReLU6()",
        nn.Hardtanh(): "Hardtanh(min_val=-1.0, max_val=1.0)",
        nn.PReLU(3): "PReLU(num_parameters=3)",
        nn.LogSoftmax(1): "LogSoftmax(dim=1)", nn.Softsign(): "Softsign()",
        nn.Softmin(0): "Softmin(dim=0)", nn.SiLU(inplace=True): "SiLU(inplace=True)",
    }
    for m, want in reprs.items():
        assert repr(m) == want
    net = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.BatchNorm1d(3), nn.ReLU()))
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)\n"
        "    (1): ReLU()\n"
        "  )\n"
        ")")
