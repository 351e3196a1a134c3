"""MNIST with ten loss terms (paper Sec. 5.1, Table 1).

MNIST is turned into a ten-term objective: term i is the negative log-likelihood of the batch's
samples of digit i, weighted by a random weight w_i. The test accuracy is unweighted, so classes
with small weights underfit. Five methods are compared (Table 1): SGD with momentum, RMSProp and
Adam on the weighted sum, MTAdam on the same ten weighted terms, and Adam with equal weights.

Definitions (one place for each, reused by the chapter, the tests and ``scripts/run_mnist.py``):

* :class:`Net` -- the PyTorch MNIST example CNN (two conv, two fully connected layers).
* :func:`class_terms` -- the ten terms ``term_i = w_i * sum_{j: y_j = i} NLL_j / B``. Their sum is the
  class-weighted mean NLL; a class absent from the batch gives a zero term (never NaN).
* :func:`per_term_grads` -- the gradient of every term from a forward/backward on that class's
  sub-batch only (exact: the terms depend on disjoint samples and the network has no batch norm).
* :func:`draw_weights` -- the two weight draws: the paper's U(1, 1000) for all ten classes, and the
  authors' public script's w_0 = 1, w_1..9 ~ U(0, 1000).
* :func:`train_run` -- one training run of one method; :func:`run_all` -- the resumable grid that
  saves one JSON record per run via :mod:`mtbook.records`.
* :func:`table_rows`, :func:`plot_*` -- the chapter's tables and figures, from the records only.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .profiles import device, get_profile

EXPERIMENT = "mnist"
NUM_CLASSES = 10
MEAN, STD = 0.1307, 0.3081  # the PyTorch MNIST example's Normalize((0.1307,), (0.3081,))

# Table 1 of the paper (100 runs): mean and SD of the test accuracy in percent.
PAPER_TABLE1 = {
    "sgd_momentum": (85.4, 1.2),
    "rmsprop": (87.2, 1.0),
    "adam": (88.8, 0.8),
    "mtadam": (97.9, 0.1),
    "adam_equal": (98.3, 0.1),
}

# The five methods. lr: PyTorch's default for each optimizer (Adam 1e-3, RMSprop 1e-2) and 1e-3
# (the default of torch.optim.SGD since torch 2.x; the paper does not give SGD's lr) with momentum
# 0.9 for SGD; "weights": the weighted terms ("drawn") or all weights equal to 1 ("equal").
# See the chapter for why these choices and what changes with other learning rates.
METHODS = {
    "sgd_momentum": dict(label="SGD-Momentum", optimizer="sgd", lr=1e-3, momentum=0.9, weights="drawn"),
    "sgd_momentum_norm": dict(label="SGD-Momentum (w / mean w)", optimizer="sgd", lr=1e-3, momentum=0.9,
                              weights="drawn_normalized"),
    "rmsprop": dict(label="RMSProp", optimizer="rmsprop", lr=1e-2, weights="drawn"),
    "rmsprop_lr1e-3": dict(label="RMSProp (lr 1e-3)", optimizer="rmsprop", lr=1e-3, weights="drawn"),
    "adam": dict(label="Adam", optimizer="adam", lr=1e-3, weights="drawn"),
    "mtadam": dict(label="MTAdam", optimizer="mtadam", lr=1e-3, weights="drawn"),
    "adam_equal": dict(label="Adam (equal weights)", optimizer="adam", lr=1e-3, weights="equal"),
}

DRAWS = {
    "paper": "U(1, 1000) for all ten classes (the paper's text)",
    "script": "w_0 = 1, w_1..w_9 ~ U(0, 1000) (the authors' public script)",
}

# SGD is the one method here that is not invariant to the overall scale of the loss: the weighted
# sum is ~500x a plain NLL, so at lr 1e-3 SGD takes ~500x larger steps than on the unweighted loss.
# "sgd_momentum_norm" divides the drawn weights by their mean (same imbalance, unit mean weight), which
# separates the effect of the imbalance from that of the overall scale. The paper has one SGD row;
# both of ours are printed beside it.
# RMSProp at its PyTorch default lr 1e-2 collapses in some runs here; "rmsprop_lr1e-3" is the same at
# Adam's lr. Both are printed beside the paper's one RMSProp row.
PAPER_TABLE1["sgd_momentum_norm"] = PAPER_TABLE1["sgd_momentum"]
PAPER_TABLE1["rmsprop_lr1e-3"] = PAPER_TABLE1["rmsprop"]

# Per-profile settings. train_size: samples of the training set used (None = all 60,000), drawn
# once with a fixed seed and class-stratified; one epoch over them as the authors' script does.
# evals: test-set evaluations spread evenly over training; the last one is the final accuracy on the
# whole test set (test_size), the earlier ones use a fixed stratified subset of curve_test_size.
CONFIG = {
    "smoke": dict(seeds=[0], train_size=640, test_size=1000, curve_test_size=500, epochs=1,
                  batch_size=64, test_batch_size=1000, evals=2, log_every=5, threads=1),
    "cpu": dict(seeds=[0, 1, 2, 3, 4], train_size=20000, test_size=None, curve_test_size=2000, epochs=1,
                batch_size=64, test_batch_size=1000, evals=4, log_every=10, threads=1),
    "full": dict(seeds=list(range(100)), train_size=None, test_size=None, curve_test_size=None, epochs=1,
                 batch_size=64, test_batch_size=1000, evals=10, log_every=20, threads=None),
}


def config(profile: str | None = None) -> dict:
    """The settings of ``profile`` (default: the current one), as a fresh dict."""
    name = profile or get_profile()
    if name not in CONFIG:
        raise ValueError(f"unknown profile {name!r}; use one of {', '.join(CONFIG)}")
    return dict(CONFIG[name])


def method_key(method: str, draw: str) -> str:
    """Record name of one (method, weight draw), e.g. ``adam-paper``."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if draw not in DRAWS:
        raise ValueError(f"unknown weight draw {draw!r}; use one of {', '.join(DRAWS)}")
    return f"{method}-{draw}"


# --------------------------------------------------------------------------- model and terms


class Net(nn.Module):
    """The PyTorch MNIST example network (github.com/pytorch/examples, mnist/main.py)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def draw_weights(draw: str, seed: int) -> np.ndarray:
    """The ten class weights of repetition ``seed`` (redrawn per repetition).

    ``"paper"``: w_i ~ U(1, 1000) for every class, as the paper's text says.
    ``"script"``: w_0 = 1 and w_1..w_9 ~ U(0, 1000), as the authors' public script draws them.
    """
    rng = np.random.RandomState(seed)
    if draw == "paper":
        return rng.uniform(1.0, 1000.0, size=NUM_CLASSES)
    if draw == "script":
        return np.concatenate([[1.0], rng.uniform(0.0, 1000.0, size=NUM_CLASSES - 1)])
    raise ValueError(f"unknown weight draw {draw!r}; use one of {', '.join(DRAWS)}")


def class_terms(log_probs: torch.Tensor, target: torch.Tensor, weights, batch_size: int | None = None):
    """The ten loss terms ``term_i = w_i * sum_{j: y_j = i} NLL_j / B`` as a tensor of shape [10].

    ``B`` is ``batch_size`` (default: the number of rows). A class absent from the batch gives a
    zero term. ``terms.sum()`` is the class-weighted mean NLL ``sum_j w_{y_j} NLL_j / B``.
    """
    if log_probs.dim() != 2 or log_probs.shape[1] != NUM_CLASSES:
        raise ValueError(f"log_probs must have shape [batch, {NUM_CLASSES}], got {tuple(log_probs.shape)}")
    if target.shape != log_probs.shape[:1]:
        raise ValueError(f"target must have shape [{log_probs.shape[0]}], got {tuple(target.shape)}")
    w = torch.as_tensor(weights, dtype=log_probs.dtype, device=log_probs.device)
    if w.shape != (NUM_CLASSES,):
        raise ValueError(f"weights must hold {NUM_CLASSES} numbers, got shape {tuple(w.shape)}")
    B = log_probs.shape[0] if batch_size is None else batch_size
    nll = F.nll_loss(log_probs, target, reduction="none")
    per_class = torch.zeros(NUM_CLASSES, dtype=nll.dtype, device=nll.device).index_add(0, target, nll)
    return w * per_class / B


def weighted_loss(log_probs: torch.Tensor, target: torch.Tensor, weights) -> torch.Tensor:
    """The weighted sum of the ten terms, ``sum_j w_{y_j} NLL_j / B`` (what SGD/RMSProp/Adam minimise)."""
    w = torch.as_tensor(weights, dtype=log_probs.dtype, device=log_probs.device)
    nll = F.nll_loss(log_probs, target, reduction="none")
    return (w[target] * nll).sum() / log_probs.shape[0]


def authors_terms(log_probs: torch.Tensor, target: torch.Tensor, weights) -> torch.Tensor:
    """The terms as the authors' script defines them: ``nll_loss(weight=onehot_i * w_i)``, mean reduction.

    Mean reduction divides by the summed weights of the batch's targets, ``w_i * n_i``: the weight
    cancels (the term is the plain mean NLL of class i) and an absent class gives 0/0 = NaN.
    Kept for the chapter's remark; not used for training.
    """
    w = torch.as_tensor(weights, dtype=log_probs.dtype, device=log_probs.device)
    out = []
    for i in range(NUM_CLASSES):
        onehot = torch.zeros(NUM_CLASSES, dtype=log_probs.dtype, device=log_probs.device)
        onehot[i] = 1.0
        out.append(F.nll_loss(log_probs, target, weight=onehot * w[i]))
    return torch.stack(out)


def per_term_grads(model: nn.Module, x: torch.Tensor, target: torch.Tensor, weights,
                   params: list | None = None) -> tuple[list, torch.Tensor]:
    """Per-term gradients of the ten class terms, one forward/backward per class sub-batch.

    Term i depends only on the samples of class i, and the network treats samples independently
    (no batch norm; dropout draws an independent mask per sample), so the gradient of term i over
    the full batch equals the gradient of ``w_i * sum NLL(class-i samples) / B`` computed from the
    class-i rows alone. The ten sub-batches together cost about one batch's forward and backward,
    instead of one backward per term.

    Returns ``(grads, terms)``: ``grads[i][j]`` is the gradient of term i w.r.t. ``params[j]``
    (zeros for a class absent from the batch, like the gradient of a zero term), ``terms`` the
    detached values of the ten terms.
    """
    params = [p for p in model.parameters() if p.requires_grad] if params is None else list(params)
    w = [float(v) for v in weights]
    B = x.shape[0]
    grads, terms = [], torch.zeros(NUM_CLASSES, device=x.device)
    for i in range(NUM_CLASSES):
        idx = (target == i).nonzero(as_tuple=True)[0]
        if idx.numel() == 0:
            grads.append([torch.zeros_like(p) for p in params])
            continue
        out = model(x[idx])
        term = w[i] * F.nll_loss(out, target[idx], reduction="sum") / B
        grads.append(list(torch.autograd.grad(term, params)))
        terms[i] = term.detach()
    return grads, terms


# --------------------------------------------------------------------------- data


@dataclass
class MNISTData:
    """MNIST as normalised tensors in memory (one load; no DataLoader needed on 1x28x28 images)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    def to(self, device) -> "MNISTData":
        """The same data on ``device`` (the whole of MNIST fits on any GPU)."""
        return MNISTData(*(t.to(device) for t in (self.x_train, self.y_train, self.x_test, self.y_test)))


def _normalise(images_uint8: torch.Tensor) -> torch.Tensor:
    # same numbers as ToTensor() then Normalize((0.1307,), (0.3081,))
    return ((images_uint8.float() / 255.0 - MEAN) / STD).unsqueeze(1)


def stratified_subset(labels: torch.Tensor, size: int | None, seed: int = 1234) -> torch.Tensor:
    """Indices of a class-stratified random subset of about ``size`` samples (all, in order, if None).

    Each class keeps ``round(size * its share)`` samples, so the total can differ from ``size`` by a
    few (20,000 of MNIST's training set gives 19,999); the records store the actual number.
    """
    n = labels.shape[0]
    if size is None or size >= n:
        return torch.arange(n)
    if size <= 0:
        raise ValueError(f"subset size must be positive, got {size}")
    g = torch.Generator().manual_seed(seed)
    chosen = []
    for c in range(NUM_CLASSES):
        idx = (labels == c).nonzero(as_tuple=True)[0]
        k = int(round(size * idx.numel() / n))
        chosen.append(idx[torch.randperm(idx.numel(), generator=g)[:k]])
    return torch.sort(torch.cat(chosen)).values


def load_mnist(train_size: int | None = None, test_size: int | None = None) -> MNISTData:
    """The real MNIST files via torchvision (``mtbook.data.mnist_root()``), normalised.

    ``train_size`` / ``test_size`` select fixed class-stratified subsets (None = everything).
    """
    from torchvision.datasets import MNIST

    from .data import mnist_root

    root = mnist_root()
    train = MNIST(str(root), train=True, download=False)
    test = MNIST(str(root), train=False, download=False)
    tr = stratified_subset(train.targets, train_size)
    te = stratified_subset(test.targets, test_size)
    return MNISTData(
        x_train=_normalise(train.data[tr]), y_train=train.targets[tr].clone(),
        x_test=_normalise(test.data[te]), y_test=test.targets[te].clone(),
    )


# --------------------------------------------------------------------------- training


def make_optimizer(method: str, params):
    spec = METHODS[method]
    kind = spec["optimizer"]
    if kind == "sgd":
        return torch.optim.SGD(params, lr=spec["lr"], momentum=spec["momentum"])
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=spec["lr"])
    if kind == "adam":
        return torch.optim.Adam(params, lr=spec["lr"])
    if kind == "mtadam":
        from mtadam import MTAdam

        return MTAdam(params, lr=spec["lr"])
    raise ValueError(f"unknown optimizer {kind!r}")


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000) -> dict:
    """Unweighted test accuracy (percent), per-class accuracy (percent) and mean NLL."""
    was_training = model.training
    model.eval()
    correct = torch.zeros(NUM_CLASSES, device=y.device)
    count = torch.bincount(y, minlength=NUM_CLASSES).float()
    nll = 0.0
    for s in range(0, x.shape[0], batch_size):
        out = model(x[s:s + batch_size])
        t = y[s:s + batch_size]
        nll += F.nll_loss(out, t, reduction="sum").item()
        hit = (out.argmax(1) == t).float()
        correct.index_add_(0, t, hit)
    model.train(was_training)
    per_class = (100.0 * correct / count.clamp_min(1)).cpu().tolist()
    return dict(acc=100.0 * correct.sum().item() / x.shape[0], per_class_acc=per_class,
                nll=nll / x.shape[0])


def train_run(method: str, draw: str, seed: int, data: MNISTData, cfg: dict, progress=None) -> dict:
    """Train one model with one method; returns ``dict(config, metrics, curves)`` for a record.

    Same seed = same class weights, same initial network, same batch order for every method.
    """
    spec = METHODS[method]
    drawn = draw_weights(draw, seed)
    weights = {"drawn": drawn, "drawn_normalized": drawn / drawn.mean(),
               "equal": np.ones(NUM_CLASSES)}[spec["weights"]]
    torch.manual_seed(seed)
    dev = data.x_train.device
    model = Net().to(dev)  # initialised on the CPU (same initial network on every device), then moved
    params = [p for p in model.parameters() if p.requires_grad]
    param_names = [n for n, p in model.named_parameters() if p.requires_grad]
    opt = make_optimizer(method, params)
    w_t = torch.tensor(weights, dtype=torch.float32, device=dev)

    bs = cfg["batch_size"]
    n = data.x_train.shape[0]
    per_epoch = math.ceil(n / bs)
    total = per_epoch * cfg["epochs"]
    eval_at = sorted({max(1, round(total * k / cfg["evals"])) for k in range(1, cfg["evals"] + 1)})
    g = torch.Generator().manual_seed(seed)
    curve_idx = stratified_subset(data.y_test.cpu(), cfg.get("curve_test_size")).to(dev)

    curves = dict(eval_step=[], eval_acc=[], eval_per_class_acc=[], train_step=[], train_loss=[],
                  train_terms=[])
    if method == "mtadam":
        curves.update(ew_step=[], ew_mean=[], ew_fc2=[])
    fc2_index = param_names.index("fc2.weight")
    step = 0
    diverged = False
    model.train()
    for _ in range(cfg["epochs"]):
        order = torch.randperm(n, generator=g)
        for s in range(0, n, bs):
            idx = order[s:s + bs].to(dev)
            x, y = data.x_train[idx], data.y_train[idx]
            if method == "mtadam":
                grads, terms = per_term_grads(model, x, y, weights, params)
                opt.step(grads=grads)
                loss_value = float(terms.sum())
            else:
                out = model(x)
                terms = class_terms(out, y, w_t)
                loss = terms.sum()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                loss_value = float(loss.detach())
                terms = terms.detach()
            step += 1
            if not math.isfinite(loss_value):
                diverged = True
            if step % cfg["log_every"] == 0 or step == 1:
                curves["train_step"].append(step)
                curves["train_loss"].append(loss_value)
                curves["train_terms"].append([round(float(t), 6) for t in terms.cpu()])
                if method == "mtadam":
                    ew = opt.effective_weights().cpu()
                    curves["ew_step"].append(step)
                    curves["ew_mean"].append(torch.nanmean(ew, dim=1).tolist())
                    curves["ew_fc2"].append(ew[:, fc2_index].tolist())
            if step in eval_at and step != total:
                ev = evaluate(model, data.x_test[curve_idx], data.y_test[curve_idx], cfg["test_batch_size"])
                curves["eval_step"].append(step)
                curves["eval_acc"].append(ev["acc"])
                curves["eval_per_class_acc"].append(ev["per_class_acc"])
            if progress is not None:
                progress.update(1)
    final = evaluate(model, data.x_test, data.y_test, cfg["test_batch_size"])
    curves["eval_step"].append(step)
    curves["eval_acc"].append(final["acc"])
    curves["eval_per_class_acc"].append(final["per_class_acc"])
    run_config = dict(
        method=method, draw=draw, draw_description=DRAWS[draw], label=spec["label"],
        optimizer=spec["optimizer"], lr=spec["lr"], momentum=spec.get("momentum"),
        weights_used=spec["weights"], class_weights=[float(v) for v in weights],
        drawn_weights=[float(v) for v in drawn], steps=total, steps_per_epoch=per_epoch,
        train_size=n, test_size=int(data.x_test.shape[0]), curve_test_size=int(curve_idx.numel()),
        **{k: cfg[k] for k in ("epochs", "batch_size", "test_batch_size", "evals", "log_every")},
    )
    metrics = dict(test_acc=final["acc"], per_class_acc=final["per_class_acc"], test_nll=final["nll"],
                   diverged=diverged or not math.isfinite(final["nll"]))
    return dict(config=run_config, metrics=metrics, curves=curves)


def draw_invariance(data: MNISTData, steps: int, eps: float, seed: int = 0, batch_size: int = 64) -> list[float]:
    """Train MTAdam on the two weight draws side by side (same seed, batches, dropout masks) and
    return, after each step, the relative distance ``||theta_paper - theta_script|| / ||theta_paper||``.

    With ``norm_init="first"`` MTAdam is invariant to the term weights up to its ``eps``: this measures
    how far "up to eps" (and float rounding) takes two runs apart.
    """
    from mtadam import MTAdam

    models, opts, weights = {}, {}, {}
    for draw in DRAWS:
        torch.manual_seed(seed)
        models[draw] = Net()
        opts[draw] = MTAdam(models[draw].parameters(), lr=METHODS["mtadam"]["lr"], eps=eps)
        weights[draw] = draw_weights(draw, seed)
    order = torch.randperm(data.x_train.shape[0], generator=torch.Generator().manual_seed(seed))
    out = []
    for step in range(steps):
        idx = order[step * batch_size:(step + 1) * batch_size]
        x, y = data.x_train[idx], data.y_train[idx]
        for draw in DRAWS:
            torch.manual_seed(seed * 100003 + step)  # the same dropout masks in both runs
            grads, _ = per_term_grads(models[draw], x, y, weights[draw])
            opts[draw].step(grads=grads)
        a, b = (torch.cat([p.detach().flatten() for p in models[d].parameters()]) for d in DRAWS)
        out.append(float((a - b).norm() / a.norm()))
    return out


def runs(cfg: dict, methods=None, draws=None) -> list[tuple[str, str, int]]:
    """The (method, draw, seed) grid in the order it is run: seed-major, so partial runs are balanced."""
    methods = list(methods or METHODS)
    draws = list(draws or DRAWS)
    return [(m, d, s) for s in cfg["seeds"] for d in draws for m in methods]


def run_all(profile: str | None = None, methods=None, draws=None, data: MNISTData | None = None,
            verbose: bool = True) -> list[dict]:
    """Run every missing (method, draw, seed) of ``profile``; save one record each; return all records.

    Runs whose record exists are skipped (run-level resume). Progress: one tqdm bar over steps.
    """
    from tqdm import tqdm

    from .records import has_record, load_records, save_record

    profile = profile or get_profile()
    cfg = config(profile)
    todo = [r for r in runs(cfg, methods, draws) if not has_record(EXPERIMENT, method_key(r[0], r[1]), r[2], profile)]
    if todo:
        if cfg.get("threads"):
            torch.set_num_threads(cfg["threads"])
        data = data or load_mnist(cfg["train_size"], cfg["test_size"]).to(device())
        steps = math.ceil(data.x_train.shape[0] / cfg["batch_size"]) * cfg["epochs"]
        bar = tqdm(total=steps * len(todo), desc=f"MNIST {profile}: {len(todo)} runs", mininterval=5,
                   disable=not verbose)
        for method, draw, seed in todo:
            bar.set_postfix_str(f"{method_key(method, draw)} seed {seed}")
            t0 = time.time()
            out = train_run(method, draw, seed, data, cfg, progress=bar)
            save_record(EXPERIMENT, method_key(method, draw), config=out["config"], seed=seed,
                        metrics=out["metrics"], curves=out["curves"], wall_time=time.time() - t0,
                        profile=profile, extra=dict(profile_config=cfg))
        bar.close()
    elif verbose:
        print(f"all {len(runs(cfg, methods, draws))} MNIST runs of profile {profile!r} have records; reusing them")
    wanted = {method_key(m, d) for m, d, _ in runs(cfg, methods, draws)}
    return [r for r in load_records(EXPERIMENT, profile) if r["method"] in wanted]


# --------------------------------------------------------------------------- tables and plots


def mean_sd(values) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1; 0 for a single value)."""
    a = np.asarray(list(values), dtype=float)
    if a.size == 0:
        return float("nan"), float("nan")
    return float(a.mean()), float(a.std(ddof=1)) if a.size > 1 else 0.0


def fmt_mean_sd(values, digits: int = 1) -> str:
    m, s = mean_sd(values)
    return f"{m:.{digits}f} ± {s:.{digits}f}"


def _by(records, method, draw):
    key = method_key(method, draw)
    return [r for r in records if r["method"] == key]


def table_rows(records: list[dict], draws=None) -> list[dict]:
    """One row per method: our mean ± SD test accuracy per draw, runs per draw, and the paper's."""
    draws = list(draws or DRAWS)
    rows = []
    for method, spec in METHODS.items():
        row = {"method": spec["label"], "lr": f"{spec['lr']:g}"}
        for d in draws:
            rs = _by(records, method, d)
            row[f"{d} draw"] = fmt_mean_sd([r["metrics"]["test_acc"] for r in rs]) + f" (n={len(rs)})" if rs else ""
        pm, ps = PAPER_TABLE1[method]
        row["paper (100 runs)"] = f"{pm:.1f} ± {ps:.1f}"
        rows.append(row)
    return rows


def table_markdown(records: list[dict], profile: str, draws=None) -> str:
    from .records import markdown_table

    rows = table_rows(records, draws)
    cols = ["method", "lr"] + [f"{d} draw" for d in (draws or DRAWS)] + ["paper (100 runs)"]
    return f"Test accuracy (%), mean ± SD over runs, profile `{profile}`\n\n" + markdown_table(rows, cols)


def gaps_to_paper(records: list[dict], draws=None) -> list[dict]:
    """Per method: our mean minus the paper's mean (percentage points), one column per draw."""
    rows = []
    for method, spec in METHODS.items():
        row = {"method": spec["label"]}
        for d in draws or DRAWS:
            rs = _by(records, method, d)
            row[f"{d} draw"] = (mean_sd([r["metrics"]["test_acc"] for r in rs])[0] - PAPER_TABLE1[method][0]
                                if rs else None)
        rows.append(row)
    return rows


def lightest_weight_ratio(record: dict) -> float:
    """min_i w_i / median_i w_i of a run's drawn weights (how much lighter the lightest digit is)."""
    w = np.asarray(record["config"]["drawn_weights"])
    return float(w.min() / np.median(w))


def plot_lightest_weight(records: list[dict], methods=("adam", "rmsprop_lr1e-3", "mtadam"), ax=None):
    """Test accuracy of every run against min w / median w, one colour per method, one marker per draw."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    markers = dict(zip(DRAWS, ("o", "s")))
    keys = list(METHODS)
    for method in methods:
        k = keys.index(method)
        for d in DRAWS:
            rs = _by(records, method, d)
            if rs:
                ax.scatter([lightest_weight_ratio(r) for r in rs], [r["metrics"]["test_acc"] for r in rs],
                           marker=markers[d], color=f"C{k}", s=25, alpha=0.8,
                           label=f"{METHODS[method]['label']}, {d} draw")
    ax.set_xscale("log")
    ax.set_xlabel("lightest weight / median weight of the run")
    ax.set_ylabel("test accuracy (%)")
    return ax


def plot_per_class(records: list[dict], draw: str, ax=None, relative: bool = True, min_acc: float = 50.0):
    """Final per-class test accuracy against the class weight, every run, one colour per method.

    ``relative``: plot the difference to Adam with equal weights on the same digit and seed (which
    removes how hard each digit is). Methods whose mean accuracy is below ``min_acc`` (collapsed
    runs) are left out and named in the title.
    """
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    ref = {r["seed"]: r["metrics"]["per_class_acc"] for r in _by(records, "adam_equal", draw)}
    skipped = []
    for k, (method, spec) in enumerate(METHODS.items()):
        rs = _by(records, method, draw)
        if not rs or (relative and method == "adam_equal"):
            continue
        if mean_sd([r["metrics"]["test_acc"] for r in rs])[0] < min_acc:
            skipped.append(spec["label"])
            continue
        xs, ys = [], []
        for r in rs:
            if relative and r["seed"] not in ref:
                continue
            xs += r["config"]["drawn_weights"]
            acc = np.asarray(r["metrics"]["per_class_acc"])
            ys += list(acc - np.asarray(ref[r["seed"]])) if relative else list(acc)
        ax.scatter(xs, ys, s=12, alpha=0.7, label=spec["label"], color=f"C{k}")
    ax.set_xscale("log")
    ax.set_xlabel("class weight $w_i$")
    if relative:
        ax.axhline(0.0, color="k", lw=0.8)
        ax.set_ylabel("class accuracy minus Adam-equal's (points)")
    else:
        ax.set_ylabel("test accuracy of the class (%)")
    title = DRAWS[draw].split(" (")[0]
    if skipped:
        title += f"\n(not shown, mean accuracy < {min_acc:g}%: {', '.join(skipped)})"
    ax.set_title(title, fontsize=9)
    return ax


def plot_curves(records: list[dict], draw: str, ax=None):
    """Test accuracy during training (mean over runs, shaded min-max), one line per method."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    for k, (method, spec) in enumerate(METHODS.items()):
        rs = _by(records, method, draw)
        if not rs:
            continue
        steps = np.asarray(rs[0]["curves"]["eval_step"])
        per_epoch = rs[0]["config"]["steps_per_epoch"]
        acc = np.asarray([r["curves"]["eval_acc"] for r in rs])
        ax.plot(steps / per_epoch, acc.mean(0), marker="o", ms=3, label=spec["label"], color=f"C{k}")
        ax.fill_between(steps / per_epoch, acc.min(0), acc.max(0), alpha=0.15, color=f"C{k}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy (%)")
    return ax


def plot_effective_weights(record: dict, axes=None):
    """MTAdam's effective weight per class (n^anchor / n^i, fc2 layer and mean over layers) and the
    resulting net weight on each class's NLL, w_i * effective_i / w_0, over training."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    c = record["curves"]
    steps = np.asarray(c["ew_step"])
    w = np.asarray(record["config"]["class_weights"])
    fc2 = np.asarray(c["ew_fc2"])  # [T, 10]
    mean = np.asarray(c["ew_mean"])
    cmap = plt.get_cmap("viridis")
    order = np.argsort(w)
    colors = {i: cmap(r / (NUM_CLASSES - 1)) for r, i in enumerate(order)}
    for i in range(NUM_CLASSES):
        axes[0].plot(steps, fc2[:, i], color=colors[i], lw=1, label=f"{i} (w={w[i]:.0f})")
        axes[0].plot(steps, mean[:, i], color=colors[i], lw=0.8, ls=":")
        axes[1].plot(steps, w[i] * fc2[:, i] / w[0], color=colors[i], lw=1)
    axes[0].set_yscale("log")
    axes[0].set_xlabel("step")
    axes[0].set_ylabel("effective weight $n^1_l / n^i_l$")
    axes[0].set_title("fc2 (solid), mean over layers (dotted)")
    axes[0].legend(fontsize=7, ncol=2, title="class", title_fontsize=7)
    axes[1].set_yscale("log")
    net = w[None, :] * fc2 / w[0]
    axes[1].set_ylim(min(0.1, np.nanmin(net) / 1.5), max(10.0, np.nanmax(net) * 1.5))
    axes[1].set_xlabel("step")
    axes[1].set_ylabel("$w_i \\cdot$ effective weight / $w_0$")
    axes[1].set_title("net weight on each class's NLL (fc2)")
    return axes
