"""MTAdam in the training loops people run: fp16 loss scaling, clipping, gradient norms,
checkpoints of the wrong optimizer, torch.compile. (Several processes: test_mtadam_distributed.)"""

import copy

import pytest
import torch
from torch import nn

from mtadam import LossScaler, MTAdam


def make_model(seed=0, dtype=torch.float32):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 4)).to(dtype)


def batch(t, dtype=torch.float32):
    gen = torch.Generator().manual_seed(50 + t)
    return torch.randn(16, 8, generator=gen).to(dtype), torch.randn(16, 4, generator=gen).to(dtype)


def terms(out, y):
    out = out.float()
    return [(out - y).pow(2).mean(), 1e3 * (out - y).abs().mean(), 1e-3 * out.pow(2).mean()]


def grads_of(losses, params):
    return [list(torch.autograd.grad(loss, params, retain_graph=True)) for loss in losses]


def snapshot(model, opt):
    return [p.detach().clone() for p in model.parameters()], copy.deepcopy(opt.state_dict())


def assert_same(model, opt, snap):
    params, sd = snap
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), params))
    now = opt.state_dict()
    assert now["state"].keys() == sd["state"].keys()
    for k, st in sd["state"].items():
        for name, val in st.items():
            assert torch.equal(now["state"][k][name], val), name
    assert now["param_groups"] == sd["param_groups"]


# ------------------------------------------------------------------------- fp16 loss scaling


def test_float16_autocast_overflow_is_skipped_and_the_scale_backs_off_then_grows():
    model = make_model()
    opt = MTAdam(model.parameters(), lr=1e-2)
    # 2**40 overflows float16 (max 65504) in the backward of the autocast linear layers
    scaler = LossScaler(init_scale=2.0**40, growth_interval=3)
    start = snapshot(model, opt)
    history = []
    for t in range(40):
        x, y = batch(t)
        with torch.autocast("cpu", dtype=torch.float16):
            out = model(x)
            assert out.dtype == torch.float16
            losses = terms(out, y)
        opt.step(losses, scaler=scaler)
        history.append((scaler.scale, scaler.last_step_skipped))
        if t == 0:
            assert scaler.last_step_skipped
            assert_same(model, opt, start)  # an overflowing first step creates no state
            assert len(opt.state) == 0
    skipped = [s for _, s in history]
    k = skipped.index(False)  # the first good step: after k overflows, each halving the scale
    assert k >= 1 and all(skipped[:k]) and history[k - 1][0] == 2.0 ** (40 - k)
    # the scale follows torch.amp.GradScaler's rule (torch._amp_update_scale_) step by step
    scale, tracker = torch.tensor([2.0**40]), torch.tensor([0], dtype=torch.int32)
    for s, skip in history:
        torch._amp_update_scale_(scale, tracker, torch.tensor([float(skip)]), 2.0, 0.5, 3)
        assert scale.item() == s
    assert sum(not s for s in skipped) > 5
    assert not any(p.isnan().any() for p in model.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(model.parameters(), start[0]))


def test_overflow_mid_training_leaves_params_and_state_untouched():
    model = make_model()
    opt = MTAdam(model.parameters(), lr=1e-2)
    scaler = LossScaler(init_scale=256.0)
    for t in range(3):
        x, y = batch(t)
        opt.step(terms(model(x), y), scaler=scaler)
    snap = snapshot(model, opt)
    x, y = batch(3)
    losses = terms(model(x), y)
    opt.step([losses[0], losses[1] * float("inf"), losses[2]], scaler=scaler)
    assert scaler.last_step_skipped and scaler.scale == 128.0 and scaler.skipped_steps == 1
    assert_same(model, opt, snap)


@pytest.mark.parametrize("via", ["losses", "grads"])
def test_power_of_two_scale_without_overflow_changes_nothing(via):
    """Scaling by 2**k and unscaling is exact in floating point: the trajectory is bit-identical."""
    runs = []
    for scaler in (None, LossScaler(init_scale=2.0**12, growth_interval=2)):
        model = make_model()
        params = list(model.parameters())
        opt = MTAdam(params, lr=1e-2)
        for t in range(8):
            x, y = batch(t)
            losses = terms(model(x), y)
            if via == "losses":
                opt.step(losses, scaler=scaler)
            else:
                s = 1.0 if scaler is None else scaler.scale
                opt.step(grads=grads_of([loss * s for loss in losses], params), scaler=scaler)
        runs.append([p.detach().clone() for p in params])
    assert all(torch.equal(a, b) for a, b in zip(*runs))


def test_disabled_scaler_is_no_scaler():
    runs, scaler = [], LossScaler(init_scale=8.0, growth_interval=1, enabled=False)
    for s in (None, scaler):
        model = make_model()
        opt = MTAdam(model.parameters(), lr=1e-2)
        for t in range(3):
            x, y = batch(t)
            opt.step(terms(model(x), y), scaler=s)
        runs.append([p.detach().clone() for p in model.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*runs))
    assert scaler.scale == 8.0 and scaler.growth_tracker == 0


def test_torch_gradscaler_gets_a_clear_error_and_changes_nothing():
    model = make_model()
    opt = MTAdam(model.parameters(), lr=1e-2)
    x, y = batch(0)
    opt.step(terms(model(x), y))
    snap = snapshot(model, opt)
    scaler = torch.amp.GradScaler("cpu")
    # the usual pattern: backward on the scaled sum, then scaler.step(opt)
    scaler.scale(sum(terms(model(x), y))).backward()
    with pytest.raises(TypeError, match="LossScaler"):
        scaler.step(opt)
    # or the terms handed to step
    with pytest.raises(TypeError, match="LossScaler"):
        scaler.step(opt, [scaler.scale(loss) for loss in terms(model(x), y)])
    assert_same(model, opt, snap)
    opt.step(terms(model(x), y))  # and the optimizer still works directly


def test_loss_scaler_state_dict_and_bad_settings():
    s = LossScaler(init_scale=8.0, growth_interval=2)
    s._update(found_inf=True)
    s2 = LossScaler()
    s2.load_state_dict(s.state_dict())
    assert (s2.scale, s2.growth_tracker, s2.skipped_steps) == (4.0, 0, 1)
    with pytest.raises(ValueError, match="scale"):
        s2.load_state_dict({"growth_tracker": 0})
    with pytest.raises(ValueError, match="backoff_factor"):
        LossScaler(backoff_factor=2.0)
    with pytest.raises(TypeError, match="LossScaler"):
        opt = MTAdam(make_model().parameters())
        x, y = batch(0)
        opt.step(terms(make_model()(x), y), scaler=torch.amp.GradScaler("cpu"))


# ------------------------------------------------------------------------- clipping and norms


def test_max_grad_norm_clips_each_term_before_line_7():
    """max_grad_norm=c equals clip_grad_norm_(params, c) applied to each term's gradient alone."""
    c = 0.05
    results = []
    for clip_inside in (True, False):
        model = make_model(dtype=torch.float64)
        params = list(model.parameters())
        opt = MTAdam(params, lr=1e-2, max_grad_norm=c if clip_inside else None)
        for t in range(10):
            x, y = batch(t, torch.float64)
            g = grads_of(terms(model(x), y), params)
            if not clip_inside:
                for row in g:
                    total = torch.linalg.vector_norm(torch.stack([r.norm() for r in row]))
                    coef = min(1.0, c / (total.item() + 1e-6))
                    for r in row:
                        r.mul_(coef)
            opt.step(grads=g)
        results.append([p.detach().clone() for p in params])
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)
    unclipped = make_model(dtype=torch.float64)
    opt = MTAdam(unclipped.parameters(), lr=1e-2)
    for t in range(10):
        x, y = batch(t, torch.float64)
        opt.step(terms(unclipped(x), y))
    diff = max((a - b).abs().max().item() for a, b in zip(results[0], unclipped.parameters()))
    assert diff > 1e-4  # clipping did something


def test_grad_norms_are_each_terms_gradient_norms_and_grad_stays_none():
    model = make_model(dtype=torch.float64)
    params = list(model.parameters())
    opt = MTAdam(params, lr=1e-2)
    with pytest.raises(RuntimeError, match="first step"):
        opt.grad_norms()
    x, y = batch(0, torch.float64)
    g = grads_of(terms(model(x), y), params)
    opt.step(grads=g)
    expect_layers = torch.tensor([[r.norm().item() for r in row] for row in g], dtype=torch.float64)
    torch.testing.assert_close(opt.grad_norms(per_layer=True), expect_layers)
    torch.testing.assert_close(opt.grad_norms(), expect_layers.square().sum(1).sqrt())
    assert all(p.grad is None for p in params)
    # which is why clip_grad_norm_ sees nothing
    assert torch.nn.utils.clip_grad_norm_(params, 1.0).item() == 0.0


def test_bad_max_grad_norm():
    with pytest.raises(ValueError, match="max_grad_norm"):
        MTAdam(make_model().parameters(), max_grad_norm=0.0)
    with pytest.raises(ValueError, match="distributed"):
        MTAdam(make_model().parameters(), distributed="yes")


def test_distributed_true_without_process_group_raises():
    model = make_model()
    opt = MTAdam(model.parameters(), distributed=True)
    x, y = batch(0)
    with pytest.raises(RuntimeError, match="not initialised"):
        opt.step(terms(model(x), y))
    assert len(opt.state) == 0


# ------------------------------------------------------------------------- checkpoints


def trained(num_terms=3, steps=3):
    model = make_model()
    opt = MTAdam(model.parameters(), lr=1e-2)
    for t in range(steps):
        x, y = batch(t)
        opt.step(terms(model(x), y)[:num_terms])
    return model, opt


def adam_state():
    model = make_model()
    adam = torch.optim.Adam(model.parameters(), lr=1e-2)
    x, y = batch(0)
    sum(terms(model(x), y)).backward()
    adam.step()
    return adam.state_dict()


def mutate(sd, fn):
    sd = copy.deepcopy(sd)
    fn(sd)
    return sd


def wrong_states():
    _, opt = trained()
    sd = opt.state_dict()
    two_terms = trained(num_terms=2)[1].state_dict()

    def mixed(s):
        s["state"][0] = two_terms["state"][0]

    def two_betas(s):
        s["param_groups"][0]["betas"] = (0.9, 0.999)

    def no_denom(s):
        del s["param_groups"][0]["denom"]

    def wrong_shape(s):
        s["state"][1]["m"] = s["state"][1]["m"][:, :3]

    def no_n(s):
        del s["state"][2]["n"]

    return {
        "torch.optim.Adam's state": (adam_state(), "torch.optim.Adam"),
        "betas without beta3": (mutate(sd, two_betas), "beta3"),
        "group without MTAdam's settings": (mutate(sd, no_denom), "denom"),
        "terms differ between parameters": (mutate(sd, mixed), "terms"),
        "moment of the wrong shape": (mutate(sd, wrong_shape), "shape"),
        "no running norm": (mutate(sd, no_n), "'n'"),
        "not a state_dict": ({"state": {}}, "param_groups"),
    }


@pytest.mark.parametrize("case", list(wrong_states()))
def test_load_state_dict_rejects_what_is_not_an_mtadam_state(case):
    state, text = wrong_states()[case]
    model, opt = trained()
    snap = snapshot(model, opt)
    with pytest.raises(ValueError, match=text):
        opt.load_state_dict(state)
    assert_same(model, opt, snap)
    x, y = batch(9)
    opt.step(terms(model(x), y))  # still usable


def test_load_state_dict_of_another_term_count_only_into_a_fresh_optimizer():
    _, three = trained(num_terms=3)
    model, two = trained(num_terms=2)
    snap = snapshot(model, two)
    with pytest.raises(ValueError, match="3 loss terms but this optimizer's is for 2"):
        two.load_state_dict(three.state_dict())
    assert_same(model, two, snap)
    fresh = MTAdam(model.parameters(), lr=1e-2)
    fresh.load_state_dict(three.state_dict())
    x, y = batch(9)
    fresh.step(terms(model(x), y))


# ------------------------------------------------------------------------- torch.compile


def test_compiled_step_runs_eagerly_without_recompiling():
    import torch._dynamo

    torch._dynamo.reset()
    results = []
    for compiled in (False, True):
        model = make_model()
        opt = MTAdam(model.parameters(), lr=1e-2)
        step = torch.compile(opt.step, backend="eager") if compiled else opt.step
        with torch._dynamo.config.patch(error_on_recompile=True):
            for t in range(6):
                x, y = batch(t)
                step(terms(model(x), y))
        results.append([p.detach().clone() for p in model.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*results))
    torch._dynamo.reset()
