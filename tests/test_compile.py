"""gpugrad.compile: a replayed call gives eager's numbers (bit for bit on the CPU), and whatever
the recording cannot see is guarded, read at replay time, or run eagerly."""

import collections
import warnings

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.nn as nn
import gpugrad.nn.functional as F
from benchmarks.harness import peak_bytes
from gpugrad.compile import CaptureError, CompiledFunction, CompiledModule

STEPS = 100


def _same(a, b, device):
    """Bit for bit on the CPU; on CUDA (kernels flush float32 subnormals) within rounding."""
    a = a.detach().cpu().numpy() if isinstance(a, gg.Tensor) else np.asarray(a)
    b = b.detach().cpu().numpy() if isinstance(b, gg.Tensor) else np.asarray(b)
    if device == "cpu":
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-5, atol=1e-6)


def _net(device, seed=0, dropout=0.0, sizes=(5, 16, 3)):
    gg.manual_seed(seed)
    layers = [nn.Linear(sizes[0], sizes[1]), nn.GELU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(sizes[1], sizes[2]))
    return nn.Sequential(*layers).to(device)


def _optimizer(name, params):
    if name == "sgd":
        return gg.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True)
    if name == "adam":
        return gg.optim.Adam(params, lr=0.01)
    return gg.optim.AdamW(params, lr=0.01, weight_decay=0.1)


def _data(device, n, loss="ce", batch=8, seed=1):
    rng = np.random.default_rng(seed)
    xs = [gg.tensor(rng.standard_normal((batch, 5)), dtype=gg.float32, device=device)
          for _ in range(n)]
    if loss == "ce":
        ys = [gg.tensor(rng.integers(0, 3, batch), device=device) for _ in range(n)]
    else:
        ys = [gg.tensor(rng.standard_normal((batch, 3)), dtype=gg.float32, device=device)
              for _ in range(n)]
    return xs, ys


def _trainer(device, opt_name="sgd", loss="ce", dropout=0.0):
    model = _net(device, dropout=dropout)
    opt = _optimizer(opt_name, model.parameters())

    def step(x, y):
        opt.zero_grad()
        out = model(x)
        value = F.cross_entropy(out, y) if loss == "ce" else F.mse_loss(out, y)
        value.backward()
        opt.step()
        return value

    return model, opt, step


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback warning fails the test
        return fn(*args, **kwargs)


# --- results equal eager ----------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["ce", "mse"])
@pytest.mark.parametrize("opt_name", ["sgd", "adam", "adamw"])
def test_hundred_training_steps_equal_eager(device, opt_name, loss):
    m1, o1, eager = _trainer(device, opt_name, loss)
    m2, o2, step = _trainer(device, opt_name, loss)
    compiled = gg.compile(step)
    xs, ys = _data(device, STEPS, loss)
    for x, y in zip(xs, ys):
        a = eager(x, y)
        b = _quiet(compiled, x, y)
        assert _same(a, b, device)
    assert (compiled.captures, compiled.replays, compiled.eager_calls) == (1, STEPS - 2, 1)
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert _same(p, q, device)
        assert _same(p.grad, q.grad, device)  # the replayed gradients are the tensors' own
    for p, q in zip(m1.parameters(), m2.parameters()):
        s1, s2 = o1.state[p], o2.state[q]
        assert s1.keys() == s2.keys()
        for k in s1:
            if isinstance(s1[k], gg.Tensor):
                assert _same(s1[k], s2[k], device)
            else:
                assert s1[k] == s2[k]  # Adam's step count, kept by the replayed steps


def test_returned_tensors_are_fresh_and_hold_the_replayed_values(device):
    _, _, eager = _trainer(device)
    _, _, step = _trainer(device)
    compiled = gg.compile(step)
    xs, ys = _data(device, 6)
    outs = [_quiet(compiled, x, y) for x, y in zip(xs, ys)]
    refs = [eager(x, y) for x, y in zip(xs, ys)]
    for a, b in zip(refs, outs):  # an earlier result is not overwritten by a later replay
        assert _same(a, b, device)
        assert b.requires_grad and b.grad_fn is not None and b.shape == ()
    with pytest.raises(RuntimeError, match="second time"):
        outs[-1].backward()  # as eager: the step's graph was consumed by its own backward


def test_replay_runs_generated_code_with_planned_buffers(device):
    _, _, step = _trainer(device)
    compiled = gg.compile(step)
    xs, ys = _data(device, 3)
    for x, y in zip(xs, ys):
        _quiet(compiled, x, y)
    (prog,) = compiled.programs
    assert "def _replay" in prog.source and "_b" in prog.source  # buffers written
    assert prog.planned_bytes > 0 and prog.buffers == 1


# --- signatures: shapes, dtypes, devices ------------------------------------------------------


def test_new_shapes_capture_again_and_are_cached(device):
    _, _, eager = _trainer(device)
    _, _, step = _trainer(device)
    compiled = gg.compile(step)
    xs, ys = _data(device, 12)
    for i, (x, y) in enumerate(zip(xs, ys)):
        if i % 3 == 2:  # the smaller last batch of an epoch
            x, y = x[:5], y[:5]
        assert _same(eager(x, y), _quiet(compiled, x, y), device)
    assert compiled.captures == 2  # one program per batch shape, each reused
    assert len(compiled.programs) == 2


def test_dtype_is_part_of_the_signature(device):
    w = gg.linspace(-1.0, 1.0, 4, device=device)

    def fn(x):
        return (x.tanh() * w.to(x.dtype)).sum()  # (Linear refuses mixed dtypes, as PyTorch's)

    f = gg.compile(fn)
    with gg.no_grad():
        for dt in (gg.float32, gg.float64, gg.float32, gg.float64, gg.float32, gg.float64):
            x = gg.ones(3, 4, dtype=dt, device=device)
            assert _same(fn(x), _quiet(f, x), device)
    assert f.captures == 2 and f.replays == 2


def test_cache_is_bounded_least_recently_used_goes(device):
    lin = nn.Linear(3, 2).to(device)
    f = gg.compile(lambda x: lin(x) * 2.0)
    f.cache_size_limit = 3
    with gg.no_grad(), pytest.warns(UserWarning, match="more than 3 signatures"):
        for _rep in range(3):
            for n in range(1, 6):
                x = gg.ones(n, 3, device=device)
                assert _same(lin(x) * 2.0, f(x), device)
    assert len(f.programs) <= 3


# --- Python values read inside the call -------------------------------------------------------


def test_learning_rate_changed_through_param_groups_is_used(device):
    m1, o1, eager = _trainer(device)
    m2, o2, step = _trainer(device)
    compiled = gg.compile(step)
    xs, ys = _data(device, 12)
    for i, (x, y) in enumerate(zip(xs, ys)):
        if i in (4, 7):
            for o in (o1, o2):
                o.param_groups[0]["lr"] *= 0.5
                o.param_groups[0]["nesterov"] = False
                o.param_groups[0]["momentum"] = 0.5 if i == 4 else 0.0
        assert _same(eager(x, y), _quiet(compiled, x, y), device)
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert _same(p, q, device)


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
@pytest.mark.parametrize("inside", [False, True])
def test_scheduler_steps_are_honoured(device, inside, opt_name):
    m1, o1, e = _trainer(device, opt_name)
    m2, o2, s = _trainer(device, opt_name)
    s1 = gg.optim.lr_scheduler.CosineAnnealingLR(o1, T_max=5)
    s2 = gg.optim.lr_scheduler.CosineAnnealingLR(o2, T_max=5)

    def eager(x, y):
        out = e(x, y)
        if inside:
            s1.step()
        return out

    def step(x, y):
        out = s(x, y)
        if inside:
            s2.step()
        return out

    compiled = gg.compile(step)
    xs, ys = _data(device, 30)
    for x, y in zip(xs, ys):
        assert _same(eager(x, y), _quiet(compiled, x, y), device)
        if not inside:
            s1.step()
            s2.step()
        assert o1.param_groups[0]["lr"] == o2.param_groups[0]["lr"]
    # a learning rate that changes on every step: the SGD step recorded in the program gives
    # way to the step itself (recaptures, at most recapture_limit); Adam's always runs as is
    assert compiled.replays >= 10 and compiled.captures <= compiled.recapture_limit
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert _same(p, q, device)


def test_python_number_argument_is_part_of_the_signature(device):
    _, _, e = _trainer(device)
    _, _, s = _trainer(device)

    def make(step):
        def scaled(x, y, w):
            return step(x, y) * w
        return scaled

    eager, compiled = make(e), gg.compile(make(s))
    xs, ys = _data(device, 12)
    for i, (x, y) in enumerate(zip(xs, ys)):
        w = (0.5, 2.0)[i % 2]
        assert _same(eager(x, y, w), _quiet(compiled, x, y, w), device)
    assert compiled.captures == 2


def test_closure_and_global_numbers_are_guarded(device):
    lin = nn.Linear(3, 3).to(device)
    x = gg.ones(2, 3, device=device)
    scale = [1.5]
    alpha = 2.0

    def f(t):
        return lin(t) * alpha + scale[0]

    compiled = gg.compile(f)
    with gg.no_grad():
        for i in range(12):
            if i == 4:
                alpha = 3.0  # noqa: F841  (read by f through its closure)
            if i == 8:
                scale[0] = -1.0  # a short list of numbers: guarded by value
            assert _same(f(x), _quiet(compiled, x), device)
    assert compiled.captures == 3


def test_reseeding_inside_the_call_runs_eagerly(device):
    def f(t):
        gg.manual_seed(3)
        return t + gg.rand(*t.shape, device=device)

    compiled = gg.compile(f)
    t = gg.zeros(4, device=device)
    with pytest.warns(UserWarning, match="reseeds"):
        outs = [compiled(t) for _ in range(4)]
    for o in outs:
        assert _same(o, outs[0], device)  # the same draw every time, as eager


def test_module_attributes_are_guarded(device):
    model = _net(device, dropout=0.5)
    compiled = gg.compile(lambda x: model(x))
    x = gg.ones(4, 5, device=device)
    with gg.no_grad():
        model.eval()
        outs = [_quiet(compiled, x) for _ in range(3)]
        model.train()
        model[2].p = 0.0  # dropout off: the identity again
        outs += [_quiet(compiled, x) for _ in range(3)]
        model.eval()
        ref = model(x)
    for o in outs:
        assert _same(ref, o, device)


# --- randomness -------------------------------------------------------------------------------


def test_dropout_draws_fresh_numbers_reproducibly(device):
    _, _, eager = _trainer(device, dropout=0.5)
    _, _, step = _trainer(device, dropout=0.5)
    compiled = gg.compile(step)
    x, y = _data(device, 1)
    gg.manual_seed(3)
    ref = [eager(x[0], y[0]) for _ in range(6)]
    gg.manual_seed(3)
    got = [_quiet(compiled, x[0], y[0]) for _ in range(6)]
    for a, b in zip(ref, got):
        assert _same(a, b, device)
    assert compiled.replays == 4
    assert len({float(v.item()) for v in got}) == 6  # not one mask replayed


def test_randn_inside_is_drawn_on_every_replay(device):
    f = gg.compile(lambda t: t + gg.randn(*t.shape, device=device))
    t = gg.zeros(4, device=device)
    gg.manual_seed(11)
    ref = [t + gg.randn(4, device=device) for _ in range(5)]
    gg.manual_seed(11)
    got = [_quiet(f, t) for _ in range(5)]
    for a, b in zip(ref, got):
        assert _same(a, b, device)
    assert f.replays == 3 and not _same(got[3], got[4], device)


# --- data-dependent Python --------------------------------------------------------------------


@pytest.mark.parametrize("read", ["item", "tolist", "numpy", "float", "print"])
def test_values_read_into_python_run_eagerly_with_one_warning(device, read):
    """A value read into Python whole, or a floating value that changes between calls (a
    loss logged with .item(): a guard first, which fails on the next call): eager, with one
    warning; fullgraph=True raises."""
    _, _, e = _trainer(device)
    _, _, s = _trainer(device)
    logs = collections.deque()  # (a list in the closure would be a guarded Python value)

    def make(step):
        def f(x, y):
            loss = step(x, y)
            if read == "item":
                logs.append(loss.item())
            elif read == "tolist":
                logs.append(loss.tolist())
            elif read == "numpy":
                logs.append(loss.detach().numpy().copy())
            elif read == "float":
                logs.append(float(loss))
            else:
                logs.append(repr(loss))
            return loss
        return f

    eager, compiled = make(e), gg.compile(make(s))
    xs, ys = _data(device, 8)
    with pytest.warns(UserWarning, match="gpugrad.compile") as w:
        for x, y in zip(xs, ys):
            assert _same(eager(x, y), compiled(x, y), device)
    assert len([m for m in w if "gpugrad.compile" in str(m.message)]) == 1
    assert compiled.replays == 0 and compiled.captures <= 1
    assert list(logs)[0::2] == list(logs)[1::2]  # the Python side ran on every call
    strict = gg.compile(make(s), fullgraph=True)
    with pytest.raises(CaptureError, match="into Python"):
        for x, y in zip(xs, ys):
            strict(x, y)


def test_branch_on_a_tensor_is_rechecked_on_replay(device):
    lin = nn.Linear(3, 2).to(device)
    with gg.no_grad():
        lin.weight.fill_(1.0)
        lin.bias.fill_(0.0)

    def f(x):
        y = lin(x)
        if (y > 0).sum() == y.numel():  # an integer read into Python: a guard
            return y * 2.0
        return y - 1.0

    compiled = gg.compile(f)
    xs = [gg.full((4, 3), v, device=device) for v in (5.0, 5.0, 5.0, -5.0, 5.0, 5.0, 5.0)]
    with gg.no_grad():
        for x in xs:
            assert _same(f(x), _quiet(compiled, x), device)
    assert compiled.captures == 2 and compiled.replays >= 3


def test_float_comparison_in_python_is_a_guard_too(device):
    lin = nn.Linear(3, 1).to(device)

    def f(x):
        y = lin(x).sum()
        if y > 0:  # a bool read into Python
            return y * 2.0
        return -y

    compiled = gg.compile(f)
    with gg.no_grad():
        for v in (1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -1.0, 1.0):
            x = gg.full((2, 3), v, device=device)
            assert _same(f(x), _quiet(compiled, x), device)


def test_out_of_range_target_still_raises_on_replay(device):
    lin = nn.Linear(3, 4).to(device)
    f = gg.compile(lambda a, t: F.cross_entropy(lin(a), t))
    a = gg.randn(2, 3, device=device)
    with gg.no_grad():
        for _ in range(3):
            _quiet(f, a, gg.tensor([1, 2], device=device))
        assert f.replays == 1
        with pytest.raises(IndexError, match="out of bounds"):
            f(a, gg.tensor([1, 7], device=device))
        assert _same(F.cross_entropy(lin(a), gg.tensor([3, 0], device=device)),
                     f(a, gg.tensor([3, 0], device=device)), device)


# --- storage rebound --------------------------------------------------------------------------


def test_rebinding_parameter_storage_recaptures(device):
    m1, _, eager = _trainer(device)
    m2, _, step = _trainer(device)
    compiled = gg.compile(step)
    xs, ys = _data(device, 12)
    for i, (x, y) in enumerate(zip(xs, ys)):
        if i == 4:
            for m in (m1, m2):
                m[0].weight.data = m[0].weight.detach() * 0.5  # a new array
        if i == 8:
            sd = {k: v * 0.9 for k, v in m1.state_dict().items()}
            m1.load_state_dict(sd)  # copied in place: the same arrays, new values
            m2.load_state_dict(sd)
        assert _same(eager(x, y), _quiet(compiled, x, y), device)
    assert compiled.captures == 2
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert _same(p, q, device)


def test_module_moved_to_another_dtype_recaptures(device):
    lin = nn.Linear(3, 2).to(device)
    f = gg.compile(lambda x: lin(x))
    with gg.no_grad():
        for _ in range(3):
            _quiet(f, gg.ones(2, 3, device=device))
        lin.double()
        x = gg.ones(2, 3, dtype=gg.float64, device=device)
        for _ in range(3):
            assert _same(lin(x), _quiet(f, x), device)
    assert f.captures == 2


# --- memory -----------------------------------------------------------------------------------


def test_replayed_step_needs_no_more_memory_than_eager():
    """tracemalloc (NumPy's allocations): the peak of one eager step, against the planned
    arena plus the peak of one replay, both after a step (so the previous step's gradients,
    freed by zero_grad, are traced in both)."""
    def trainer():
        gg.manual_seed(0)
        model = nn.MLP(256, [512, 512, 10], activation="relu")
        opt = gg.optim.SGD(model.parameters(), lr=0.01)
        x, y = gg.randn(128, 256), gg.randint(0, 10, (128,))

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss
        return step

    eager, compiled = trainer(), gg.compile(trainer())
    for _ in range(3):
        eager()
        _quiet(compiled)
    (prog,) = compiled.programs
    eager_peak = peak_bytes(eager)
    replay_peak = peak_bytes(compiled) + prog.planned_bytes
    assert replay_peak <= eager_peak, (replay_peak, eager_peak)


# --- fallbacks --------------------------------------------------------------------------------


def test_an_output_that_requires_grad_runs_eagerly(device):
    """A compiled forward whose backward runs outside the call: eager, correct gradients."""
    model = _net(device)
    ref = _net(device)
    compiled = gg.compile(model)
    x, y = _data(device, 1)
    with pytest.warns(UserWarning, match="requires grad"):
        for _ in range(3):
            F.cross_entropy(compiled(x[0]), y[0]).backward()
    for _ in range(3):
        F.cross_entropy(ref(x[0]), y[0]).backward()
    for p, q in zip(model.parameters(), ref.parameters()):
        assert _same(p.grad, q.grad, device)


def test_a_tensor_kept_after_the_call_runs_eagerly(device):
    kept = []
    lin = nn.Linear(3, 3).to(device)

    def f(x):
        h = lin(x)
        kept.append(h)  # a side effect a replay would not repeat
        return h.sum()

    compiled = gg.compile(f)
    with gg.no_grad(), pytest.warns(UserWarning, match="kept after"):
        for _ in range(4):
            compiled(gg.ones(2, 3, device=device))
    assert len(kept) == 4 and compiled.captures == 0


def test_changing_hyperparameters_inside_the_call_runs_eagerly(device):
    m1, o1, e = _trainer(device)
    m2, o2, s = _trainer(device)

    def make(step, opt):
        def f(x, y):
            opt.param_groups[0]["lr"] *= 0.9
            return step(x, y)
        return f

    eager, compiled = make(e, o1), gg.compile(make(s, o2))
    xs, ys = _data(device, 6)
    with pytest.warns(UserWarning, match="hyperparameters"):
        for x, y in zip(xs, ys):
            assert _same(eager(x, y), compiled(x, y), device)
    assert o1.param_groups[0]["lr"] == o2.param_groups[0]["lr"]


def test_gradient_accumulation_without_zero_grad(device):
    m1, _, _ = _trainer(device)
    m2, _, _ = _trainer(device)

    def make(model):
        def f(x, y):
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            return loss
        return f

    eager, compiled = make(m1), gg.compile(make(m2))
    xs, ys = _data(device, 7)
    for x, y in zip(xs, ys):
        assert _same(eager(x, y), _quiet(compiled, x, y), device)
    assert compiled.replays == 5
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert _same(p.grad, q.grad, device)


def test_batchnorm_and_embedding_steps(device):
    def trainer():
        gg.manual_seed(0)
        model = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(12, 6),
                              nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3)).to(device)
        opt = gg.optim.SGD(model.parameters(), lr=0.1)

        def step(i, t):
            opt.zero_grad()
            loss = F.cross_entropy(model(i), t)
            loss.backward()
            opt.step()
            return loss
        return model, step

    m1, eager = trainer()
    m2, step = trainer()
    compiled = gg.compile(step)
    rng = np.random.default_rng(0)
    for _ in range(6):
        i = gg.tensor(rng.integers(0, 10, (5, 3)), device=device)
        t = gg.tensor(rng.integers(0, 3, 5), device=device)
        assert _same(eager(i, t), _quiet(compiled, i, t), device)
    for (k, a), (_, b) in zip(m1.state_dict().items(), m2.state_dict().items()):
        assert _same(a, b, device), k  # running statistics and counters too
    assert compiled.replays == 4


# --- the API ----------------------------------------------------------------------------------


def test_compiled_module_is_the_module(device):
    model = _net(device)
    compiled = gg.compile(model)
    assert isinstance(compiled, CompiledModule) and isinstance(compiled, nn.Module)
    assert [n for n, _ in compiled.named_parameters()] == [n for n, _ in model.named_parameters()]
    assert list(compiled.state_dict()) == list(model.state_dict())
    assert compiled.get_submodule("0") is model[0] and compiled.training
    compiled.eval()
    assert not model.training and not compiled.training
    x = gg.ones(3, 5, device=device)
    with gg.no_grad():
        outs = [_quiet(compiled, x) for _ in range(4)]
        ref = model(x)
    for o in outs:
        assert _same(ref, o, device)
    assert compiled.compiled.replays == 2


def test_decorator_forms_and_arguments():
    @gg.compile
    def f(x):
        return x * 2.0

    @gg.compile(mode="reduce-overhead", fullgraph=True, dynamic=False)
    def g(x):
        return x + 1.0

    assert isinstance(f, CompiledFunction) and f.__name__ == "f" and g.mode == "reduce-overhead"
    x = gg.ones(3)
    for _ in range(3):
        assert _same(f(x), x * 2.0, "cpu") and _same(g(x), x + 1.0, "cpu")
    assert f.replays == 1 and g.replays == 1

    def h(x):
        return x

    assert gg.compile(h, disable=True) is h
    e = gg.compile(h, backend="eager")
    for _ in range(3):
        e(x)
    assert e.captures == 0
    with pytest.raises(RuntimeError, match="Unrecognized mode"):
        gg.compile(h, mode="fast")
    with pytest.raises(ValueError, match="backend"):
        gg.compile(h, backend="inductor")
    with pytest.raises(TypeError, match="function or a Module"):
        gg.compile(3)


def test_eager_path_untouched_after_a_capture():
    """After a capture the tensor slots, optimizer steps and random draws are plain again."""
    from gpugrad.autograd import TensorBase

    slots = TensorBase.__dict__["_data"], TensorBase.__dict__["_grad"]
    step_fn = gg.optim.SGD.step
    _, opt, step = _trainer("cpu")
    compiled = gg.compile(step)
    xs, ys = _data("cpu", 3)
    for x, y in zip(xs, ys):
        _quiet(compiled, x, y)
    assert (TensorBase.__dict__["_data"], TensorBase.__dict__["_grad"]) == slots
    assert gg.optim.SGD.step is step_fn and "step" not in opt.__dict__
    assert gg._device.sample_hook is None
    t = gg.ones(2)
    assert type(t._data) is np.ndarray


def test_the_digits_demo_trains_the_same_compiled(tmp_path):
    """examples/digits.py --compile: dropout, GELU, AdamW, label smoothing, a shuffling
    loader and a smaller last batch, with the eager run's numbers."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
    import digits

    kw = dict(epochs=2, device="cpu", progress=False, plot=False)
    eager = digits.main(out=tmp_path / "e", **kw)
    compiled = _quiet(digits.main, out=tmp_path / "c", compile=True, **kw)
    assert compiled["history"] == eager["history"]
    assert compiled["compiled"]["captures"] == 2 and compiled["compiled"]["replays"] > 30


def test_a_method_compiles_with_self_in_the_signature(device):
    class Trainer:
        def __init__(self):
            self.model, self.opt, _ = _trainer(device)
            self.scale = 1.0

        def eager_step(self, x, y):
            self.opt.zero_grad()
            loss = F.cross_entropy(self.model(x), y) * self.scale
            loss.backward()
            self.opt.step()
            return loss

        step = gg.compile(eager_step)

    compiled, eager = Trainer(), Trainer()
    xs, ys = _data(device, 10)
    for i, (x, y) in enumerate(zip(xs, ys)):
        if i == 5:
            compiled.scale = eager.scale = 2.0  # an attribute of an argument: guarded
        assert _same(eager.eager_step(x, y), _quiet(compiled.step, x, y), device)
    assert Trainer.step.captures == 2 and Trainer.step.replays == 7  # recaptured at once
    with pytest.warns(UserWarning, match="ndarray"):
        gg.compile(lambda a: a * 2)(np.ones(3))


@pytest.mark.parametrize("max_norm", [0.05, 0.3, 100.0])
def test_dropout_with_gradient_clipping(device, max_norm):
    """clip_grad_norm_ reads "clip or not" into Python after dropout's draws: the guard is
    checked before the step changes anything, the generator put back when it fails."""
    def make():
        model, opt, _ = _trainer(device, dropout=0.3)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm)
            opt.step()
            return loss
        return model, step

    m1, eager = make()
    m2, step = make()
    compiled = gg.compile(step)
    xs, ys = _data(device, 16)
    gg.manual_seed(5)
    ref = [eager(x, y) for x, y in zip(xs, ys)]
    gg.manual_seed(5)
    got = [_quiet(compiled, x, y) for x, y in zip(xs, ys)]
    for a, b in zip(ref, got):
        assert _same(a, b, device)
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert _same(p, q, device)
    assert compiled.replays > 0


def test_manual_updates_and_writes_into_arguments(device):
    """A hand-written SGD under no_grad (in-place writes into parameters, a learning rate
    from the closure) and an argument changed in place: as eager, versions included."""
    def make():
        model = _net(device)
        lr = 0.05

        def step(x, y, buf):
            model.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            with gg.no_grad():
                for p in model.parameters():
                    p -= lr * p.grad
            buf.add_(1.0)
            return loss
        return model, step

    m1, eager = make()
    m2, step = make()
    compiled = gg.compile(step)
    xs, ys = _data(device, 8)
    b1, b2 = gg.zeros(3, device=device), gg.zeros(3, device=device)
    for x, y in zip(xs, ys):
        assert _same(eager(x, y, b1), _quiet(compiled, x, y, b2), device)
    assert _same(b1, b2, device) and b2._version.v == b1._version.v == 8
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert _same(p, q, device) and p._version.v == q._version.v
    assert compiled.replays == 6


class _FakeCupy:
    """Enough of CuPy's stream capture for the code around CUDA graphs to run on the CPU: a
    capture runs the segment once (as capture-and-launch does), a later launch runs it again
    (a real graph would write the same addresses; here the arrays are new)."""

    class _Graph:
        def __init__(self, fn):
            self.fn, self.first = fn, True

        def launch(self, stream=None):
            if not self.first:
                self.fn()
            self.first = False

    class _Stream:
        def __init__(self, non_blocking=False):
            self.fn = None

        def wait_event(self, event):
            pass

        def record(self):
            return None

        def begin_capture(self, mode=None):
            pass

        def end_capture(self):
            return _FakeCupy._Graph(_FakeCupy.last)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    class cuda:  # noqa: N801
        runtime = None

        class MemoryPool:
            def malloc(self, n):
                return None

        @staticmethod
        def get_current_stream():
            return _FakeCupy._Stream()

        @staticmethod
        def using_allocator(alloc):
            import contextlib
            return contextlib.nullcontext()

    empty = staticmethod(np.empty)
    copyto = staticmethod(np.copyto)
    last = None


def test_graph_segments_replay_like_the_flat_program(monkeypatch):
    """mode="reduce-overhead" splits a replay into segments around its Python effects; run on
    the CPU with a stand-in for CuPy, the segmented program gives eager's numbers."""
    from gpugrad.compile import _cuda

    _FakeCupy.cuda.Stream = _FakeCupy._Stream
    real_segment = _cuda._GraphProgram.segment

    def segment(self, k):
        _FakeCupy.last = self.segments[k]
        return real_segment(self, k)

    monkeypatch.setattr(_cuda._GraphProgram, "segment", segment)
    for opt_name in ("sgd", "adam"):
        m1, _, eager = _trainer("cpu", opt_name)
        m2, _, step = _trainer("cpu", opt_name)
        compiled = gg.compile(step)
        xs, ys = _data("cpu", 8)
        for i, (x, y) in enumerate(zip(xs, ys)):
            if i == 2:
                (prog,) = compiled.programs
                _cuda.attach_graph(prog, _FakeCupy)
                assert prog.graph is not None and prog.graph.segments
            assert _same(eager(x, y), _quiet(compiled, x, y), "cpu")
        for p, q in zip(m1.parameters(), m2.parameters()):
            assert _same(p, q, "cpu") and _same(p.grad, q.grad, "cpu")
        assert "_seg(" in prog.graph.source and "_arg(" in prog.graph.source


_ZOO = {
    "layer_norm": lambda x, w, b: F.layer_norm(x @ w, (5,), b, None).pow(2).mean(),
    "softmax_log": lambda x, w, b: -(F.softmax(x @ w, 1) + 1e-3).log().mean(),
    "log_softmax_nll": lambda x, w, b: F.nll_loss(F.log_softmax(x @ w + b, 1),
                                                  gg.tensor([0, 1, 2, 3, 4, 0], device=x.device)),
    "mse_sum": lambda x, w, b: F.mse_loss(x @ w, x, reduction="sum"),
    "bce_logits": lambda x, w, b: F.binary_cross_entropy_with_logits(x @ w, (x > 0).float()),
    "cat_stack": lambda x, w, b: gg.cat([x @ w, x], 1).sum() + gg.stack([x, x @ w]).pow(2).mean(),
    "where_clamp": lambda x, w, b: gg.where(x > 0, x @ w, x * b).clamp(-1, 1).sum(),
    "max_dim": lambda x, w, b: (x @ w).max(1).values.sum() + (x @ w).amax(),
    "slices_transpose": lambda x, w, b: ((x @ w)[:, 1:4].T @ x[:, :3]).sum() + x[::2].sum(),
    "var_std": lambda x, w, b: (x @ w).var(0).sum() + (x @ w).std(1).mean(),
    "gather": lambda x, w, b: (x @ w)[gg.tensor([0, 2, 2, 5], device=x.device)].sum(),
    "logsumexp": lambda x, w, b: (x @ w).logsumexp(1).sum(),
    "activations": lambda x, w, b: (F.gelu(x @ w, approximate="tanh") + F.leaky_relu(x @ w, 0.2)
                                    + F.softplus(x @ w) + F.elu(x @ w)).sum(),
    "normalize_pow": lambda x, w, b: F.normalize(x @ w, dim=1).sum()
                                     + ((x.abs() + 1.0) ** (b * 0.1)).sum(),
}


@pytest.mark.parametrize("name", sorted(_ZOO))
def test_op_zoo_steps_equal_eager(device, name):
    def run(compiled):
        gg.manual_seed(0)
        w = gg.randn(5, 5, device=device, requires_grad=True)
        b = gg.randn(5, device=device, requires_grad=True)
        opt = gg.optim.Adam([w, b], lr=0.01)

        def step(x):
            opt.zero_grad()
            loss = _ZOO[name](x, w, b)
            loss.backward()
            opt.step()
            return loss
        f = gg.compile(step) if compiled else step
        rng = np.random.default_rng(0)
        xs = [gg.tensor(rng.standard_normal((6, 5)), dtype=gg.float32, device=device)
              for _ in range(6)]
        return [_quiet(f, x) for x in xs], (w, b), f

    ref, p1, _ = run(False)
    got, p2, f = run(True)
    for a, c in zip(ref + list(p1), got + list(p2)):
        assert _same(a, c, device)
    assert f.replays == 4
