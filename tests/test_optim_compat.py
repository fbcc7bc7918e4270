"""PyTorch compatibility of gpugrad.optim: the implementation switches (foreach, fused,
capturable, differentiable) in every optimizer's groups, loading state dicts that lack them or
hold PyTorch's tensor ``step``, and Adamax, NAdam and RAdam against trajectories computed by
PyTorch and against their update rules written out in float64 NumPy."""

import math

import numpy as np
import pytest

import gpugrad as gg
from gpugrad import optim

from .conftest import host

P0 = [1.0, -2.0, 0.5, 3.0]
GRADS = [[0.5, -1.0, 2.0, 0.0], [-0.25, 0.75, 1.5, -3.0], [1.0, 1.0, -0.5, 0.1],
         [0.2, -0.3, 0.1, 0.05], [-0.4, 0.6, 0.0, 1.2], [0.3, -0.2, 0.7, -0.1],
         [0.1, 0.4, -0.6, 0.2], [-0.5, -0.1, 0.3, 0.9]]

# Parameter values after each of the 8 steps above, computed by PyTorch 2.13 (CPU, float64,
# torch.optim.<name>([p], **kw) with p.grad set to GRADS[i] before step i), rounded to 12
# decimals.
TORCH_TRAJECTORIES = [
    ('Adamax', {'lr': 0.1}, [
        [0.900000002, -1.900000001, 0.4000000005, 3.0],
        [0.878926297137, -1.892097361597, 0.313070966637, 3.052631578772],
        [0.835383862148, -1.924016180466, 0.267407730336, 3.084643910801],
        [0.798650414907, -1.937944036651, 0.233531851453, 3.106884745069],
        [0.780646610287, -1.963162331339, 0.207902639243, 3.113914188158],
        [0.760049152266, -1.978737149462, 0.180215870319, 3.120163193894],
        [0.74145866159, -1.99903713167, 0.163598716972, 3.123935172501],
        [0.734940147683, -2.014024913685, 0.147233284176, 3.121748779197],
    ]),
    ('Adamax', {'lr': 0.05, 'betas': (0.8, 0.95), 'weight_decay': 0.1, 'maximize': True}, [
        [1.04999999875, -2.049999999375, 0.549999999744, 2.950000001667],
        [1.047441519291, -2.040837695807, 0.595059228783, 2.920198956402],
        [1.067292421212, -2.016057209043, 0.616536327772, 2.900428761239],
        [1.082967121057, -2.000265719485, 0.631873925843, 2.885300510834],
        [1.08520130111, -1.97763769187, 0.642624308576, 2.878912089929],
        [1.090296518899, -1.96030433975, 0.656583413926, 2.872051398625],
        [1.094145884214, -1.938986059139, 0.661682470011, 2.866224460481],
        [1.086653344253, -1.920727594225, 0.667823299045, 2.864607771751],
    ]),
    ('NAdam', {'lr': 0.1}, [
        [0.894354822979, -1.894354821923, 0.394354821395, 3.0],
        [0.935465795017, -1.952028950227, 0.326591148031, 3.104498046326],
        [0.835655585256, -2.021880871624, 0.339264566306, 3.108052259962],
        [0.805981909171, -2.003454360144, 0.32640882163, 3.113144347392],
        [0.840634181195, -2.052786590691, 0.318079693436, 3.069359462279],
        [0.800035601815, -2.041854709486, 0.271315502412, 3.07655615513],
        [0.779449891974, -2.081475481236, 0.296027803797, 3.069709492078],
        [0.83304740574, -2.078837350626, 0.270236327972, 3.026612639968],
    ]),
    ('NAdam', {'lr': 0.05, 'betas': (0.8, 0.95), 'weight_decay': 0.1, 'momentum_decay': 0.01,
               'maximize': True}, [
        [1.05476690223, -2.054766902914, 0.554766903318, 2.945233098227],
        [1.020773597771, -2.014611405601, 0.592456138007, 2.889185374237],
        [1.073553908881, -1.97042663239, 0.585166766698, 2.879532778541],
        [1.085044367563, -1.969119208768, 0.591292655009, 2.868514907315],
        [1.05650044493, -1.932852274592, 0.593965716924, 2.883612754447],
        [1.071192059977, -1.926227341893, 0.619451858347, 2.871108419329],
        [1.072787324738, -1.893219427877, 0.601132417361, 2.865262838275],
        [1.030054723127, -1.881042312509, 0.612471816591, 2.879754332873],
    ]),
    ('NAdam', {'lr': 0.05, 'weight_decay': 0.2, 'decoupled_weight_decay': True}, [
        [0.93717741149, -1.927177410961, 0.442177410697, 2.97],
        [0.948361123394, -1.936742701004, 0.403873799909, 2.992549023163],
        [0.888972407279, -1.952301234693, 0.406171771047, 2.964400639749],
        [0.865245845164, -1.923564966606, 0.395682180999, 2.937302677067],
        [0.873919522724, -1.928995432213, 0.387560795091, 2.88603720774],
        [0.844881037807, -1.904239537288, 0.360303091629, 2.860775182088],
        [0.826139372508, -1.90500752779, 0.369056211405, 2.828744098741],
        [0.844676735666, -1.884638387207, 0.352469911378, 2.778908231698],
    ]),
    ('RAdam', {'lr': 0.1}, [
        [0.95, -1.9, 0.3, 3.0],
        [0.939473684211, -1.892105263158, 0.126315789474, 3.157894736842],
        [0.895931248786, -1.924024082346, 0.035171878035, 3.253835696252],
        [0.859234534625, -1.937938010814, -0.032376827985, 3.320424820997],
        [0.841266719431, -1.963105894382, -0.083430526307, 3.341449948589],
        [0.84024045053, -1.963668322538, -0.084748820008, 3.341815259101],
        [0.838976826628, -1.964646082962, -0.085804631327, 3.342116437403],
        [0.83845589499, -1.965557135161, -0.087110951851, 3.341903863179],
    ]),
    ('RAdam', {'lr': 0.05, 'betas': (0.8, 0.9), 'weight_decay': 0.1, 'maximize': True}, [
        [1.02, -2.04, 0.5975, 2.985],
        [1.019111111111, -2.031277777778, 0.680840277778, 2.886708333333],
        [1.036989981785, -2.001475979053, 0.718383637864, 2.824833931011],
        [1.050443438982, -1.983460907574, 0.743686050025, 2.779981965229],
        [1.052382833117, -1.958930416931, 0.760355417681, 2.762186179824],
        [1.054579533683, -1.952838080014, 0.765885660879, 2.758693584305],
        [1.056886503618, -1.943281245134, 0.768377971321, 2.754674580343],
        [1.05260243315, -1.933118294609, 0.772112133906, 2.75344465712],
    ]),
    ('RAdam', {'lr': 0.05, 'betas': (0.8, 0.9), 'weight_decay': 0.2,
               'decoupled_weight_decay': True}, [
        [0.965, -1.93, 0.395, 2.97],
        [0.951183333333, -1.909311111111, 0.304938888889, 3.023633333333],
        [0.918720680328, -1.909890131148, 0.261315729508, 3.040528147541],
        [0.890969787888, -1.898718059104, 0.230179536983, 3.04044129425],
        [0.87496822899, -1.894223977038, 0.207839664507, 3.013487619051],
        [0.861530432167, -1.878257477953, 0.199500522716, 2.984148416298],
        [0.846980216271, -1.865197776891, 0.193777092652, 2.954413198037],
        [0.838346103677, -1.851399010208, 0.186501792101, 2.92105539281],
    ]),
]

# Each optimizer's param_groups keys (less "params"), as PyTorch 2.13 stores them.
TORCH_GROUP_KEYS = {
    "SGD": {"dampening", "differentiable", "foreach", "fused", "lr", "maximize", "momentum",
            "nesterov", "weight_decay"},
    "Adam": {"amsgrad", "betas", "capturable", "decoupled_weight_decay", "differentiable",
             "eps", "foreach", "fused", "lr", "maximize", "weight_decay"},
    "AdamW": {"amsgrad", "betas", "capturable", "decoupled_weight_decay", "differentiable",
              "eps", "foreach", "fused", "lr", "maximize", "weight_decay"},
    "RMSprop": {"alpha", "capturable", "centered", "differentiable", "eps", "foreach", "lr",
                "maximize", "momentum", "weight_decay"},
    "Adagrad": {"differentiable", "eps", "foreach", "fused", "initial_accumulator_value", "lr",
                "lr_decay", "maximize", "weight_decay"},
    "Adamax": {"betas", "capturable", "differentiable", "eps", "foreach", "lr", "maximize",
               "weight_decay"},
    "NAdam": {"betas", "capturable", "decoupled_weight_decay", "differentiable", "eps",
              "foreach", "lr", "maximize", "momentum_decay", "weight_decay"},
    "RAdam": {"betas", "capturable", "decoupled_weight_decay", "differentiable", "eps",
              "foreach", "lr", "maximize", "weight_decay"},
}
FLAGS = ("foreach", "fused", "capturable", "differentiable")
FLAG_DEFAULTS = {"foreach": None, "fused": None, "capturable": False, "differentiable": False}


def _run(name, kw, device, dtype=gg.float64, steps=8):
    p = gg.tensor(P0, dtype=dtype, device=device, requires_grad=True)
    opt = getattr(optim, name)([p], **kw)
    out = []
    for g in GRADS[:steps]:
        p.grad = gg.tensor(g, dtype=dtype, device=device)
        opt.step()
        out.append(host(p).astype(np.float64))
    return np.array(out), opt, p


# --- the implementation switches ------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(TORCH_GROUP_KEYS))
def test_groups_carry_pytorchs_keys_and_flag_defaults(name):
    p = gg.zeros(2, requires_grad=True)
    opt = getattr(optim, name)([p], lr=0.1)
    keys = TORCH_GROUP_KEYS[name]
    assert set(opt.defaults) == keys
    assert set(opt.state_dict()["param_groups"][0]) == keys | {"params"}
    for k in FLAGS:
        if k in keys:
            assert opt.param_groups[0][k] is FLAG_DEFAULTS[k]
            assert f"    {k}: {FLAG_DEFAULTS[k]}" in repr(opt).splitlines()


@pytest.mark.parametrize("name", sorted(TORCH_GROUP_KEYS))
@pytest.mark.parametrize("value", [True, False])
def test_foreach_fused_capturable_change_nothing(name, value, device):
    kw = {"lr": 0.05}
    keys = TORCH_GROUP_KEYS[name]
    flags = {k: value for k in ("foreach", "capturable") if k in keys}
    ref, _, _ = _run(name, kw, device, steps=3)
    got, opt, _ = _run(name, {**kw, **flags}, device, steps=3)
    np.testing.assert_array_equal(got, ref)
    assert all(opt.param_groups[0][k] is value for k in flags)
    if "fused" in keys:
        got, opt, _ = _run(name, {**kw, "fused": value}, device, steps=3)
        np.testing.assert_array_equal(got, ref)
        assert opt.defaults["fused"] is value


@pytest.mark.parametrize("name", sorted(TORCH_GROUP_KEYS))
def test_differentiable_true_is_refused(name):
    p = gg.zeros(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        getattr(optim, name)([p], lr=0.1, differentiable=True)
    opt = getattr(optim, name)([p], lr=0.1)
    q = gg.zeros(3, requires_grad=True)
    with pytest.raises(NotImplementedError, match="differentiable"):
        opt.add_param_group({"params": [q], "differentiable": True})
    assert len(opt.param_groups) == 1


def test_fused_and_foreach_together_and_bad_values():
    p = gg.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="cannot be `True` together"):
        optim.Adam([p], foreach=True, fused=True)
    with pytest.raises(TypeError, match="foreach must be None or a bool"):
        optim.SGD([p], lr=0.1, foreach="yes")


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam",
                                  "RAdam"])
def test_old_state_dict_without_the_flags_loads(name, device):
    """A state dict saved before the switches existed loads; the groups keep their values."""
    _, opt, p = _run(name, {"lr": 0.05}, device, steps=2)
    sd = opt.state_dict()
    for g in sd["param_groups"]:
        for k in (*FLAGS, "decoupled_weight_decay"):
            g.pop(k, None)
    fresh = getattr(optim, name)([p], lr=0.05)
    fresh.load_state_dict(sd)
    assert set(fresh.param_groups[0]) - {"params"} == TORCH_GROUP_KEYS[name]
    for k in FLAGS:
        if k in TORCH_GROUP_KEYS[name]:
            assert fresh.param_groups[0][k] is FLAG_DEFAULTS[k]
    if name in ("Adam", "NAdam", "RAdam"):
        assert fresh.param_groups[0]["decoupled_weight_decay"] is False
    # the loaded optimizer continues exactly as the original
    p.grad = gg.tensor(GRADS[2], dtype=gg.float64, device=device)
    before = host(p).copy()
    opt.step()
    a = host(p).copy()
    p.data = gg.tensor(before, dtype=gg.float64, device=device)
    p.grad = gg.tensor(GRADS[2], dtype=gg.float64, device=device)
    fresh.step()
    np.testing.assert_array_equal(host(p), a)


# --- step counts ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "NAdam",
                                  "RAdam"])
def test_pytorch_style_tensor_step_loads(name, device):
    """PyTorch keeps state["step"] as a 0-d float32 tensor: a state dict holding one (as a
    tensor, a NumPy array or a float) loads as the same count, and the run continues as if it
    had never stopped."""
    ref, _, _ = _run(name, {"lr": 0.05}, device, steps=4)
    _, opt, p = _run(name, {"lr": 0.05}, device, steps=2)
    assert opt.state[p]["step"] == 2
    sd = opt.state_dict()
    for form in (gg.tensor(2.0), np.array(2.0, dtype=np.float32), 2.0):
        sd["state"][0]["step"] = form
        again = getattr(optim, name)([p], lr=0.05)
        again.load_state_dict(sd)
        assert again.state[p]["step"] == 2 and type(again.state[p]["step"]) is int
    for g in GRADS[2:4]:
        p.grad = gg.tensor(g, dtype=gg.float64, device=device)
        again.step()
    np.testing.assert_allclose(host(p), ref[-1], rtol=0, atol=1e-15)


def test_bad_step_in_state_dict_is_refused_and_changes_nothing():
    _, opt, p = _run("Adam", {"lr": 0.05}, "cpu", steps=2)
    sd = opt.state_dict()
    sd["state"][0] = {**sd["state"][0], "step": gg.zeros(3)}
    with pytest.raises(ValueError, match="'step' of parameter 0 must be a single number"):
        opt.load_state_dict(sd)
    sd["state"][0]["step"] = "two"
    with pytest.raises(ValueError, match="'step' of parameter 0 must be a number"):
        opt.load_state_dict(sd)
    assert opt.state[p]["step"] == 2


# --- Adamax, NAdam, RAdam -------------------------------------------------------------------

@pytest.mark.parametrize("name, kw, want", TORCH_TRAJECTORIES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(TORCH_TRAJECTORIES)])
def test_trajectories_match_pytorch(name, kw, want, device):
    got, _, _ = _run(name, kw, device)
    np.testing.assert_allclose(got, np.array(want), rtol=0, atol=2e-12)


@pytest.mark.parametrize("name, kw, want", TORCH_TRAJECTORIES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(TORCH_TRAJECTORIES)])
def test_float32_trajectories_match_pytorch(name, kw, want, device):
    got, opt, p = _run(name, kw, device, dtype=gg.float32)
    assert all(v.dtype == gg.float32 for v in opt.state[p].values() if isinstance(v, gg.Tensor))
    np.testing.assert_allclose(got, np.array(want), rtol=0, atol=2e-5)


def _adamax_ref(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False):
    p, m, u, out = np.array(P0), np.zeros(4), np.zeros(4), []
    for t, g in enumerate(GRADS, 1):
        g = -np.array(g) if maximize else np.array(g)
        g = g + weight_decay * p
        m = betas[0] * m + (1 - betas[0]) * g
        u = np.maximum(betas[1] * u, np.abs(g) + eps)
        p = p - lr / (1 - betas[0] ** t) * m / u
        out.append(p)
    return np.array(out)


def _nadam_ref(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
               decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    p, m, v, prod, out = np.array(P0), np.zeros(4), np.zeros(4), 1.0, []
    for t, g in enumerate(GRADS, 1):
        g = -np.array(g) if maximize else np.array(g)
        if decoupled_weight_decay:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        prod = float(np.float32(prod) * np.float32(mu))  # PyTorch's float32 mu_product
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        denom = np.sqrt(v / (1 - b2**t)) + eps
        p = p - lr * (1 - mu) / (1 - prod) * g / denom
        p = p - lr * mu_next / (1 - prod * mu_next) * m / denom
        out.append(p)
    return np.array(out)


def _radam_ref(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
               decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    p, m, v, out = np.array(P0), np.zeros(4), np.zeros(4), []
    rho_inf = 2 / (1 - b2) - 1
    for t, g in enumerate(GRADS, 1):
        g = -np.array(g) if maximize else np.array(g)
        if decoupled_weight_decay:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
        if rho > 5:
            r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            p = p - lr * m_hat * r * math.sqrt(1 - b2**t) / (np.sqrt(v) + eps)
        else:
            p = p - lr * m_hat
        out.append(p)
    return np.array(out)


REFS = {"Adamax": _adamax_ref, "NAdam": _nadam_ref, "RAdam": _radam_ref}


@pytest.mark.parametrize("name, kw", [
    ("Adamax", {}), ("Adamax", dict(lr=0.3, betas=(0.5, 0.9), eps=1e-3, weight_decay=0.5)),
    ("NAdam", {}), ("NAdam", dict(lr=0.2, momentum_decay=0.1, weight_decay=0.3,
                                  maximize=True)),
    ("NAdam", dict(lr=0.2, weight_decay=0.3, decoupled_weight_decay=True)),
    ("RAdam", {}), ("RAdam", dict(lr=0.2, betas=(0.7, 0.85), weight_decay=0.3)),
    ("RAdam", dict(lr=0.2, betas=(0.7, 0.85), weight_decay=0.3, decoupled_weight_decay=True,
                   maximize=True)),
])
def test_trajectories_match_the_update_rule_in_numpy(name, kw, device):
    got, _, _ = _run(name, kw, device)
    np.testing.assert_allclose(got, REFS[name](**kw), rtol=1e-13, atol=1e-13)


def test_radam_rectified_branch_is_reached():
    # rho_t > 5 from step 6 on with beta2 = 0.9: the trajectory test covers both branches
    b2, rho_inf = 0.9, 2 / (1 - 0.9) - 1
    rho = [rho_inf - 2 * t * b2**t / (1 - b2**t) for t in range(1, 9)]
    assert max(rho[:5]) <= 5 < min(rho[5:])


@pytest.mark.parametrize("name, extra", [("Adamax", {"exp_inf"}),
                                         ("NAdam", {"exp_avg_sq", "mu_product"}),
                                         ("RAdam", {"exp_avg_sq"})])
def test_new_optimizers_state_dict_round_trip(name, extra, device, tmp_path):
    kw = {"lr": 0.05, "weight_decay": 0.1}
    ref, _, _ = _run(name, kw, device, steps=5)
    _, opt, p = _run(name, kw, device, steps=3)
    assert set(opt.state[p]) == {"step", "exp_avg"} | extra and opt.state[p]["step"] == 3
    gg.save(opt.state_dict(), tmp_path / "opt.pt")
    q = gg.tensor(host(p), dtype=gg.float64, device=device, requires_grad=True)
    again = getattr(optim, name)([q], lr=1.0)
    again.load_state_dict(gg.load(tmp_path / "opt.pt"))
    assert again.param_groups[0]["lr"] == 0.05 and again.state[q]["step"] == 3
    for g in GRADS[3:5]:
        q.grad = gg.tensor(g, dtype=gg.float64, device=device)
        again.step()
    np.testing.assert_array_equal(host(q), ref[-1])


@pytest.mark.parametrize("name, kw, msg", [
    ("Adamax", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("Adamax", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("Adamax", dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    ("NAdam", dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    ("NAdam", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("NAdam", dict(momentum_decay=-0.1), "Invalid momentum_decay value: -0.1"),
    ("RAdam", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("RAdam", dict(eps=-1e-8), "Invalid epsilon value: -1e-08"),
])
def test_new_optimizers_check_hyperparameters(name, kw, msg):
    p = gg.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match=msg.replace("(", r"\(").replace(".", r"\.")):
        getattr(optim, name)([p], **kw)


@pytest.mark.parametrize("name, lr", [("Adamax", 2e-3), ("NAdam", 2e-3), ("RAdam", 1e-3)])
def test_new_optimizers_defaults(name, lr):
    opt = getattr(optim, name)([gg.zeros(2, requires_grad=True)])
    d = opt.defaults
    assert d["lr"] == lr and d["betas"] == (0.9, 0.999) and d["eps"] == 1e-8
    assert d["weight_decay"] == 0 and d["maximize"] is False
    if name == "NAdam":
        assert d["momentum_decay"] == 4e-3 and d["decoupled_weight_decay"] is False


def test_a_failing_step_changes_nothing():
    a = gg.tensor([1.0, 2.0], requires_grad=True)
    b = gg.tensor([3.0], requires_grad=True)
    opt = optim.NAdam([a, b], lr=0.1)
    a.grad = gg.tensor([1.0, 1.0])
    b._grad = np.ones(1, dtype=np.float64)  # wrong dtype: refused before anything is written
    with pytest.raises(RuntimeError, match="does not match"):
        opt.step()
    assert host(a).tolist() == [1.0, 2.0] and not opt.state


# --- LBFGS ----------------------------------------------------------------------------------

def _rosen(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


QA = [[3.0, 0.5, 0.0], [0.5, 2.0, 0.3], [0.0, 0.3, 1.0]]
QB = [1.0, -2.0, 0.5]


def _quad(x):
    a = gg.tensor(QA, dtype=gg.float64, device=x.device)
    b = gg.tensor(QB, dtype=gg.float64, device=x.device)
    return 0.5 * (x * (a @ x)).sum() - (b * x).sum()


# After each step(closure): (x, the loss step returned, state["func_evals"], state["n_iter"]),
# computed by PyTorch 2.13 (CPU, float64, torch.optim.LBFGS([x], **kw)), rounded to 12 decimals.
TORCH_LBFGS = [
    ('rosen', [-1.5, 2.0], {'lr': 1, 'max_iter': 5}, [
        ([-1.410562106181, 2.004367900334], 12.5, 5, 5),
        ([-1.357517417154, 1.813262582038], 5.832367086698, 10, 10),
        ([-0.682816581835, 0.32968065359], 5.645450838934, 15, 15),
        ([-0.781122729832, 0.613135291681], 4.696675764444, 20, 20),
    ]),
    ('rosen', [-1.5, 2.0], {'lr': 1, 'max_iter': 10,
                            'line_search_fn': 'strong_wolfe'}, [
        ([-1.076826561415, 1.111227482345], 12.5, 12, 10),
        ([-0.188080519623, 0.019626940366], 4.546767747884, 24, 18),
        ([0.639260432417, 0.39511958517], 1.436333197526, 37, 27),
    ]),
    ('rosen', [-1.2, 1.0], {'lr': 0.5, 'max_iter': 7, 'history_size': 3,
                            'line_search_fn': 'strong_wolfe'}, [
        ([-1.023324789032, 1.059521817195], 24.2, 8, 7),
        ([-0.917114684894, 0.805765531172], 4.109041637033, 16, 14),
        ([-0.344417404594, 0.085024612488], 3.800176556753, 24, 20),
    ]),
    ('quad', [1.0, 1.0, 1.0], {'lr': 0.8, 'max_iter': 4, 'history_size': 2}, [
        ([0.537969995482, -1.235383150611, 0.796511639195], 4.3, 4, 4),
        ([0.543954962002, -1.26829279673, 0.880767154921], -1.756986269217, 8, 8),
        ([0.544697905671, -1.268234704585, 0.880461071916], -1.760719894543, 12, 12),
    ]),
]


def _lbfgs_run(fname, x0, kw, steps, device):
    f = _rosen if fname == "rosen" else _quad
    x = gg.tensor(x0, dtype=gg.float64, device=device, requires_grad=True)
    opt = optim.LBFGS([x], **kw)

    def closure():
        opt.zero_grad()
        loss = f(x)
        loss.backward()
        return loss

    rows = []
    for _ in range(steps):
        loss = float(opt.step(closure))
        rows.append((host(x).tolist(), loss, opt.state[x]["func_evals"], opt.state[x]["n_iter"]))
    return rows, opt, x, closure


@pytest.mark.parametrize("fname, x0, kw, want", TORCH_LBFGS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(TORCH_LBFGS)])
def test_lbfgs_matches_pytorch(fname, x0, kw, want, device):
    got, _, _, _ = _lbfgs_run(fname, x0, kw, len(want), device)
    for (x, loss, evals, iters), (wx, wloss, wevals, witers) in zip(got, want):
        np.testing.assert_allclose(x, wx, rtol=0, atol=1e-9)
        assert loss == pytest.approx(wloss, abs=1e-9)
        assert (evals, iters) == (wevals, witers)


def test_lbfgs_converges_and_stops_at_the_gradient_tolerance():
    rows, opt, x, closure = _lbfgs_run("quad", [1.0, 1.0, 1.0],
                                       dict(line_search_fn="strong_wolfe", tolerance_grad=1e-10,
                                            tolerance_change=1e-14), 3, "cpu")
    want = np.linalg.solve(np.array(QA), np.array(QB))
    np.testing.assert_allclose(host(x), want, atol=1e-8)
    evals = opt.state[x]["func_evals"]
    opt.step(closure)  # the gradient is already below tolerance_grad: one evaluation, no move
    assert opt.state[x]["func_evals"] == evals + 1


def test_lbfgs_state_dict_round_trip(tmp_path):
    fname, x0, kw, want = TORCH_LBFGS[1]
    _, opt, x, _ = _lbfgs_run(fname, x0, kw, 1, "cpu")
    gg.save(opt.state_dict(), tmp_path / "lbfgs.pt")
    y = gg.tensor(host(x), dtype=gg.float64, requires_grad=True)
    again = optim.LBFGS([y], lr=0.1)
    again.load_state_dict(gg.load(tmp_path / "lbfgs.pt"))
    assert again.param_groups[0]["line_search_fn"] == "strong_wolfe"

    def closure():
        again.zero_grad()
        loss = _rosen(y)
        loss.backward()
        return loss

    for wx, wloss, wevals, witers in want[1:]:
        assert float(again.step(closure)) == pytest.approx(wloss, abs=1e-9)
        np.testing.assert_allclose(host(y), wx, rtol=0, atol=1e-9)
        assert (again.state[y]["func_evals"], again.state[y]["n_iter"]) == (wevals, witers)


def test_lbfgs_defaults_and_errors():
    x = gg.zeros(2, requires_grad=True)
    opt = optim.LBFGS([x])
    assert {k: v for k, v in opt.defaults.items()} == dict(
        lr=1, max_iter=20, max_eval=25, tolerance_grad=1e-7, tolerance_change=1e-9,
        history_size=100, line_search_fn=None)
    with pytest.raises(ValueError, match="per-parameter options"):
        optim.LBFGS([{"params": [x]}, {"params": [gg.zeros(1, requires_grad=True)]}])
    with pytest.raises(ValueError, match="strong_wolfe"):
        optim.LBFGS([x], line_search_fn="backtracking")
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.LBFGS([x], lr=-1.0)
    with pytest.raises(RuntimeError, match="closure"):
        opt.step()
