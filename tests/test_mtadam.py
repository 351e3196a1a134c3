"""MTAdam against a line-by-line float64 reference of
Algorithm 1, torch.optim.Adam, and its promises."""

import copy
import io

import pytest
import torch
from reference_mtadam import ReferenceMTAdam

from mtadam import MTAdam

SCALES = [1.0, 1e3, 1e-2, 37.0, 0.5, 2e2, 1e-3, 5.0, 90.0, 0.07]


# ----------------------------------------------------------------------------- a small problem


def make_params(seed=0, dtype=torch.float64, device="cpu"):
    """A two-layer net (W1, b1, W2, b2) plus a side layer W3 that only the last term reaches."""
    gen = torch.Generator().manual_seed(seed)
    shapes = [(6, 4), (6,), (3, 6), (3,), (2, 4)]
    return [
        torch.randn(s, generator=gen, dtype=torch.float64)
        .to(dtype=dtype, device=device)
        .requires_grad_()
        for s in shapes
    ]


def batch(step, dtype=torch.float64, device="cpu"):
    gen = torch.Generator().manual_seed(1000 + step)
    x = torch.randn(8, 4, generator=gen, dtype=torch.float64).to(dtype=dtype, device=device)
    y = torch.randn(8, 3, generator=gen, dtype=torch.float64).to(dtype=dtype, device=device)
    return x, y


def term_losses(params, x, y, num_terms, weights=None):
    """num_terms differently scaled loss terms; term 0 (the anchor) never reaches W3."""
    w1, b1, w2, b2, w3 = params
    h = torch.tanh(x @ w1.T + b1)
    out = h @ w2.T + b2
    side = torch.sin(x @ w3.T)
    losses = []
    for i in range(num_terms):
        c = out[:, i % 3] - y[:, i % 3]
        if i == num_terms - 1 and num_terms > 1:
            loss = SCALES[i] * ((c.abs().mean()) + side.pow(2).mean())
        elif i % 2 == 0:
            loss = SCALES[i] * c.pow(2).mean()
        else:
            loss = SCALES[i] * (c.abs().mean() + 0.1 * h.pow(2).mean())
        if weights is not None:
            loss = weights[i] * loss
        losses.append(loss)
    return losses


def term_grads(params, x, y, num_terms, weights=None):
    losses = term_losses(params, x, y, num_terms, weights)
    out = []
    for loss in losses:
        gs = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
        out.append([None if g is None else g.detach() for g in gs])
    return out


def run_module(
    num_terms,
    steps,
    opt_kwargs,
    groups_lrs=None,
    ranks=None,
    seed=0,
    weights=None,
    via="grads",
    dtype=torch.float64,
    host_scalars=None,
):
    params = make_params(seed, dtype=dtype)
    if groups_lrs is None:
        opt = MTAdam(params, **opt_kwargs)
    else:
        opt = MTAdam(
            [
                {"params": params[:2], "lr": groups_lrs[0]},
                {"params": params[2:], "lr": groups_lrs[1]},
            ],
            **opt_kwargs,
        )
    opt._force_host_scalars = host_scalars
    for t in range(steps):
        x, y = batch(t, dtype=dtype)
        if via == "grads":
            opt.step(grads=term_grads(params, x, y, num_terms, weights), ranks=ranks)
        else:
            opt.step(term_losses(params, x, y, num_terms, weights), ranks=ranks)
    return [p.detach().clone() for p in params], opt


def run_reference(num_terms, steps, ref_kwargs, groups_lrs=None, ranks=None, seed=0, lr=1e-3):
    params = make_params(seed)
    work = [p.detach().clone() for p in params]
    if groups_lrs is None:
        groups = [{"params": work, "lr": lr}]
    else:
        groups = [
            {"params": work[:2], "lr": groups_lrs[0]},
            {"params": work[2:], "lr": groups_lrs[1]},
        ]
    ref = ReferenceMTAdam(groups, **ref_kwargs)
    for t in range(steps):
        x, y = batch(t)
        live = [w.clone().requires_grad_() for w in work]
        ref.step(term_grads(live, x, y, num_terms), ranks=ranks)
    return work


def assert_rel_close(a_list, b_list, rtol):
    for a, b in zip(a_list, b_list):
        err = (a - b).abs().max().item()
        scale = max(b.abs().max().item(), 1e-30)
        assert err / scale <= rtol, f"relative error {err / scale:.3e} > {rtol:.0e}"


# ----------------------------------------------------------------------------- the reference

VARIANTS = {
    "default": {},
    "none(i)": {"normalize": "none"},
    "global(ii)": {"normalize": "global"},
    "no-anchor(iii)": {"anchor": False},
    "own(iv)": {"denom": "own"},
    "mean(v)": {"denom": "mean"},
    "l2-decay": {"weight_decay": 0.05},
    "adamw-decay": {"weight_decay": 0.05, "decoupled_weight_decay": True},
}


@pytest.mark.parametrize("num_terms", [1, 2, 3, 10])
@pytest.mark.parametrize("norm_init", ["first", "one"])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_matches_line_by_line_reference(num_terms, norm_init, variant):
    kwargs = dict(betas=(0.9, 0.999, 0.9), eps=1e-8, norm_init=norm_init, **VARIANTS[variant])
    steps = 40
    got, _ = run_module(num_terms, steps, dict(lr=1e-2, **kwargs))
    want = run_reference(num_terms, steps, kwargs, lr=1e-2)
    assert_rel_close(got, want, 1e-10)
    moved = max((g - p).abs().max().item() for g, p in zip(got, make_params(0)))
    assert moved > 1e-3  # the test is not comparing two runs that did nothing


@pytest.mark.parametrize("num_terms", [1, 2, 10])
@pytest.mark.parametrize("variant", ["default", "global(ii)", "own(iv)", "mean(v)", "l2-decay"])
def test_accelerator_code_path_matches_reference(num_terms, variant):
    """The path used on GPUs (per-tensor factors kept on the device), exercised on the CPU."""
    kwargs = dict(betas=(0.9, 0.999, 0.9), eps=1e-8, **VARIANTS[variant])
    got, _ = run_module(num_terms, 40, dict(lr=1e-2, **kwargs), host_scalars=False)
    want = run_reference(num_terms, 40, kwargs, lr=1e-2)
    assert_rel_close(got, want, 1e-10)


@pytest.mark.parametrize("num_terms", [2, 10])
def test_param_groups_ranks_and_other_betas_match_reference(num_terms):
    ranks = [1.0] + [0.5 + 0.25 * i for i in range(1, num_terms)]
    kwargs = dict(betas=(0.8, 0.99, 0.7), eps=1e-6, norm_init="first")
    got, _ = run_module(num_terms, 45, kwargs, groups_lrs=(3e-2, 1e-3), ranks=ranks)
    want = run_reference(num_terms, 45, kwargs, groups_lrs=(3e-2, 1e-3), ranks=ranks)
    assert_rel_close(got, want, 1e-10)


def test_losses_path_equals_grads_path():
    a, _ = run_module(3, 20, dict(lr=1e-2), via="grads")
    b, _ = run_module(3, 20, dict(lr=1e-2), via="losses")
    for x, y in zip(a, b):
        assert torch.equal(x, y)


def test_batched_per_term_gradients_agree_with_sequential():
    a, _ = run_module(4, 15, dict(lr=1e-2, grad_mode="sequential"), via="losses")
    b, _ = run_module(4, 15, dict(lr=1e-2, grad_mode="batched"), via="losses")
    assert_rel_close(b, a, 1e-10)


# ----------------------------------------------------------------------------- Adam


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_one_term_is_adam(weight_decay):
    torch.manual_seed(0)
    net_a = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2))
    net_b = copy.deepcopy(net_a)
    adam = torch.optim.Adam(net_a.parameters(), lr=3e-3, weight_decay=weight_decay, foreach=True)
    mt = MTAdam(net_b.parameters(), lr=3e-3, weight_decay=weight_decay)
    for _ in range(60):
        x = torch.randn(16, 5)
        adam.zero_grad()
        net_a(x).pow(2).mean().backward()
        adam.step()
        mt.step([net_b(x).pow(2).mean()])
    for pa, pb in zip(net_a.parameters(), net_b.parameters()):
        torch.testing.assert_close(pb, pa, rtol=1e-6, atol=1e-7)
        assert pb.grad is None  # MTAdam never writes .grad


def test_one_term_adamw():
    torch.manual_seed(1)
    net_a = torch.nn.Linear(5, 3)
    net_b = copy.deepcopy(net_a)
    adamw = torch.optim.AdamW(net_a.parameters(), lr=1e-2, weight_decay=0.3)
    mt = MTAdam(net_b.parameters(), lr=1e-2, weight_decay=0.3, decoupled_weight_decay=True)
    for _ in range(30):
        x = torch.randn(8, 5)
        adamw.zero_grad()
        net_a(x).sin().sum().backward()
        adamw.step()
        mt.step([net_b(x).sin().sum()])
    for pa, pb in zip(net_a.parameters(), net_b.parameters()):
        torch.testing.assert_close(pb, pa, rtol=1e-6, atol=1e-7)


# ----------------------------------------------------------------------------- invariance


def test_first_norm_init_is_invariant_to_positive_term_weights():
    weights = [250.0, 1e-3, 7.0]  # the anchor too
    plain, _ = run_module(3, 40, dict(lr=1e-2, eps=0.0, norm_init="first"))
    weighted, _ = run_module(3, 40, dict(lr=1e-2, eps=0.0, norm_init="first"), weights=weights)
    assert_rel_close(weighted, plain, 1e-9)


def test_one_norm_init_is_not_invariant():
    weights = [250.0, 1e-3, 7.0]
    plain, _ = run_module(3, 40, dict(lr=1e-2, eps=0.0, norm_init="one"))
    weighted, _ = run_module(3, 40, dict(lr=1e-2, eps=0.0, norm_init="one"), weights=weights)
    diff = max((a - b).abs().max().item() for a, b in zip(plain, weighted))
    assert diff > 1e-3


def test_invariance_holds_only_up_to_eps():
    weights = [1e-9, 1.0, 1.0]  # an anchor this small makes eps dominate the denominator
    plain, _ = run_module(3, 30, dict(lr=1e-2, eps=1e-8))
    weighted, _ = run_module(3, 30, dict(lr=1e-2, eps=1e-8), weights=weights)
    diff = max((a - b).abs().max().item() for a, b in zip(plain, weighted))
    assert diff > 1e-4


# ------------------------------------------------------------------ zero gradients, anchor fallback


def test_effective_weights_balance_constant_gradients():
    p = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    q = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = MTAdam([p, q], lr=1e-3)
    for _ in range(5):
        g0 = [
            torch.full((3,), 2.0, dtype=torch.float64),
            torch.full((2,), 1.0, dtype=torch.float64),
        ]
        g1 = [
            torch.full((3,), 0.02, dtype=torch.float64),
            torch.full((2,), 40.0, dtype=torch.float64),
        ]
        opt.step(grads=[g0, g1])
    w = opt.effective_weights()
    assert w.shape == (2, 2)
    torch.testing.assert_close(w[0], torch.ones(2, dtype=torch.float64))
    torch.testing.assert_close(w[1], torch.tensor([100.0, 1.0 / 40.0], dtype=torch.float64))


def test_term_that_misses_a_layer_gives_no_nan_and_anchor_falls_back():
    params, opt = run_module(3, 10, dict(lr=1e-2), via="losses")
    assert all(torch.isfinite(p).all() for p in params)
    w = opt.effective_weights()
    # W3 (index 4) is reached by the last term only: it is that layer's anchor
    assert w[2, 4].item() == 1.0
    assert w[0, 4].item() == 0.0 and w[1, 4].item() == 0.0
    # every other layer: the anchor has weight 1
    assert torch.all(w[0, :4] == 1.0)
    # the side layer moved although the anchor never reaches it
    assert not torch.equal(params[4], make_params(0)[4])


@pytest.mark.parametrize("norm_init", ["first", "one"])
def test_term_absent_at_some_steps(norm_init):
    p = torch.ones(4, dtype=torch.float64, requires_grad=True)
    opt = MTAdam([p], lr=1e-2, norm_init=norm_init)
    gen = torch.Generator().manual_seed(0)
    for t in range(30):
        g0 = torch.randn(4, generator=gen, dtype=torch.float64)
        g1 = None if t % 3 == 0 else 500.0 * torch.randn(4, generator=gen, dtype=torch.float64)
        opt.step(grads=[[g0], [g1]])
        assert torch.isfinite(p).all()
    assert torch.isfinite(opt.effective_weights()).all()


# ----------------------------------------------------------------------------- checkpoints


def _train(opt, params, t0, t1, num_terms=3):
    for t in range(t0, t1):
        x, y = batch(t, dtype=params[0].dtype)
        opt.step(term_losses(params, x, y, num_terms))


@pytest.mark.parametrize("norm_init", ["first", "one"])
def test_state_dict_resume_is_bit_identical(norm_init):
    kwargs = dict(lr=1e-2, norm_init=norm_init, weight_decay=0.01)
    ref_params = make_params(3, dtype=torch.float32)
    ref_opt = MTAdam(ref_params, **kwargs)
    _train(ref_opt, ref_params, 0, 20)

    params = make_params(3, dtype=torch.float32)
    opt = MTAdam(params, **kwargs)
    _train(opt, params, 0, 10)
    buf = io.BytesIO()
    torch.save({"params": [p.detach() for p in params], "opt": opt.state_dict()}, buf)
    buf.seek(0)
    ckpt = torch.load(buf)
    params2 = [p.clone().requires_grad_() for p in ckpt["params"]]
    opt2 = MTAdam(params2, **kwargs)
    opt2.load_state_dict(ckpt["opt"])
    _train(opt2, params2, 10, 20)
    for a, b in zip(params2, ref_params):
        assert torch.equal(a, b)
    assert opt2.state[params2[0]]["seen"].dtype == torch.bool


def test_lr_scheduler_drives_the_step():
    params = make_params(0)
    opt = MTAdam(params, lr=1e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.1)
    work = [p.detach().clone() for p in make_params(0)]
    ref = ReferenceMTAdam([{"params": work, "lr": 1e-2}])
    for t in range(12):
        x, y = batch(t)
        opt.step(term_losses(params, x, y, 2))
        sched.step()
        live = [w.clone().requires_grad_() for w in work]
        ref.step(term_grads(live, x, y, 2))
        ref.groups[0]["lr"] = 1e-2 * 0.1 ** ((t + 1) // 5)
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-4)
    assert_rel_close([p.detach() for p in params], work, 1e-10)


# ------------------------------------------------------------------------- GAN: only own parameters


def test_generator_step_leaves_discriminator_grads_alone():
    torch.manual_seed(0)
    gen = torch.nn.Linear(4, 4)
    disc = torch.nn.Linear(4, 1)
    disc.weight.grad = torch.full_like(disc.weight, 7.0)  # accumulated by the user, must survive
    opt_g = MTAdam(gen.parameters(), lr=1e-3)
    x, y = torch.randn(8, 4), torch.randn(8, 4)
    fake = gen(x)
    l1 = (fake - y).abs().mean()
    adv = torch.nn.functional.softplus(-disc(fake)).mean()
    before = [p.detach().clone() for p in disc.parameters()]
    opt_g.step([l1, adv])
    assert torch.equal(disc.weight.grad, torch.full_like(disc.weight, 7.0))
    assert disc.bias.grad is None
    assert all(p.grad is None for p in gen.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, disc.parameters()))


# ----------------------------------------------------------------------------- dtypes and devices


def test_bfloat16_params_do_not_crash():
    p = torch.randn(16, dtype=torch.bfloat16, requires_grad=True)
    start = p.detach().clone()
    opt = MTAdam([p], lr=1e-2)
    for _ in range(3):
        opt.step([(p.float() - 1).pow(2).mean(), 100 * p.float().abs().mean()])
    assert torch.isfinite(p.float()).all() and not torch.equal(p.detach(), start)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("grad_mode", ["sequential", "batched"])
def test_cuda_matches_reference(grad_mode):
    params = make_params(0, device="cuda")
    opt = MTAdam(params, lr=1e-2, grad_mode=grad_mode)
    for t in range(40):
        x, y = batch(t, device="cuda")
        opt.step(term_losses(params, x, y, 3))
    want = run_reference(3, 40, {}, lr=1e-2)
    assert_rel_close([p.detach().cpu() for p in params], want, 1e-10)


# ----------------------------------------------------------------------------- bad input


def snapshot(params, opt):
    return [p.detach().clone() for p in params], copy.deepcopy(opt.state_dict())


def assert_unchanged(params, opt, snap):
    ps, sd = snap
    for a, b in zip(params, ps):
        assert torch.equal(a, b)
    now = opt.state_dict()
    assert now["state"].keys() == sd["state"].keys()
    for k in sd["state"]:
        for name, val in sd["state"][k].items():
            assert torch.equal(now["state"][k][name], val), name


@pytest.fixture
def trained():
    params = make_params(0)
    opt = MTAdam(params, lr=1e-2)
    _train(opt, params, 0, 3, num_terms=2)
    return params, opt


def bad_inputs(params):
    x, y = batch(0)
    good = term_losses(params, x, y, 2)
    g = term_grads(params, x, y, 2)
    unrelated = torch.randn(3, requires_grad=True).sum()
    return {
        "empty losses": (dict(losses=[]), ValueError, "empty"),
        "non-scalar loss": (
            dict(losses=[good[0], torch.stack([good[1], good[1]])]),
            ValueError,
            "not a scalar",
        ),
        "loss without graph": (dict(losses=[good[0], torch.tensor(1.0)]), ValueError, "term 1"),
        "loss not connected": (dict(losses=[good[0], unrelated]), ValueError, "term 1"),
        "both": (dict(losses=good, grads=g), ValueError, "exactly one"),
        "neither": (dict(), ValueError, "exactly one"),
        "single tensor": (dict(losses=good[0]), TypeError, "sequence"),
        "grads wrong length": (dict(grads=[g[0][:3], g[1]]), ValueError, "grads[0]"),
        "grads wrong shape": (
            dict(grads=[g[0], [t.T if t is not None and t.dim() == 2 else t for t in g[1]]]),
            ValueError,
            "shape",
        ),
        "grads not a list": (dict(grads=[g[0], "x"]), TypeError, "grads[1]"),
        "three terms after two": (dict(grads=g + [g[0]]), ValueError, "3 loss terms"),
        "ranks wrong length": (dict(losses=good, ranks=[1.0]), ValueError, "ranks"),
        "ranks non-positive": (dict(losses=good, ranks=[1.0, 0.0]), ValueError, "ranks[1]"),
        "nan loss": (dict(losses=[good[0], good[1] * float("nan")]), ValueError, "[1]"),
        "inf gradient": (
            dict(grads=[g[0], [None if t is None else t * float("inf") for t in g[1]]]),
            ValueError,
            "[1]",
        ),
    }


@pytest.mark.parametrize("case", list(bad_inputs(make_params(0))))
def test_bad_input_raises_and_changes_nothing(trained, case):
    params, opt = trained
    kwargs, exc, text = bad_inputs(params)[case]
    snap = snapshot(params, opt)
    with pytest.raises(exc) as err:
        opt.step(**kwargs)
    assert text in str(err.value)
    assert_unchanged(params, opt, snap)


def test_nonfinite_on_first_step_creates_no_state():
    params = make_params(0)
    opt = MTAdam(params)
    x, y = batch(0)
    losses = term_losses(params, x, y, 2)
    with pytest.raises(ValueError, match=r"\[0\]"):
        opt.step([losses[0] * float("inf"), losses[1]])
    assert len(opt.state) == 0


@pytest.mark.parametrize(
    "kwargs, text",
    [
        (dict(lr=-1.0), "learning rate"),
        (dict(lr=float("nan")), "learning rate"),
        (dict(betas=(0.9, 0.999)), "three"),
        (dict(betas=(0.9, 1.0, 0.9)), "beta2"),
        (dict(betas=(0.9, 0.999, -0.1)), "beta3"),
        (dict(eps=-1e-8), "eps"),
        (dict(weight_decay=-0.1), "weight_decay"),
        (dict(norm_init="zero"), "norm_init"),
        (dict(normalize="per-layer"), "normalize"),
        (dict(denom="min"), "denom"),
        (dict(grad_mode="parallel"), "grad_mode"),
    ],
)
def test_bad_hyperparameters(kwargs, text):
    with pytest.raises((ValueError, TypeError), match=text):
        MTAdam(make_params(0), **kwargs)


def test_step_where_no_term_reaches_anything_changes_nothing():
    params = make_params(0)
    opt = MTAdam(params)
    before = [p.detach().clone() for p in params]
    opt.step(grads=[[None] * len(params), [None] * len(params)])
    assert len(opt.state) == 0 and all(torch.equal(a, b) for a, b in zip(before, params))


def test_effective_weights_before_step():
    with pytest.raises(RuntimeError, match="first step"):
        MTAdam(make_params(0)).effective_weights()
