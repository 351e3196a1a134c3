"""The shared GAN toolkit: pix2pix models and one training loop for every optimizer.

Models as in pix2pix (Isola et al. 2017, the authors' PyTorch code), with knobs so that the ``cpu``
profile can train small versions at reduced resolution:

* :class:`UNetGenerator` -- the U-Net: ``num_downs`` stride-2 4x4 convolutions down (Conv-BatchNorm-
  LeakyReLU(0.2)), as many transposed convolutions up (ReLU-ConvT-BatchNorm, dropout 0.5 in the three
  innermost up blocks), skip connections between mirrored layers, tanh output. ``ngf`` = filters of
  the first layer (64 in the paper), doubling up to ``8 ngf``. pix2pix at 256 px: ``num_downs=8``.
* :class:`PatchDiscriminator` -- the 70x70 PatchGAN (``n_layers=3``, ``ndf=64``): a grid of
  real/fake logits, each looking at a 70x70 patch of the (input, image) pair.

The training loop (:func:`train`) takes the list of generator loss terms ``[L1, L_GAN]`` and one of
four optimizer choices for the generator, so that every row of Table 4 runs through the same code:

* ``sgd`` (momentum 0.9), ``rmsprop``, ``adam``: on the weighted sum ``lambda1 L1 + lambda2 L_GAN``;
* ``mtadam``: on the list ``[L1, L_GAN]``, unweighted (L1 is the anchor, term 1 of Algorithm 1).

The discriminator always keeps pix2pix's Adam (lr 2e-4, betas (0.5, 0.999)) on
``(BCE(D(x, y), 1) + BCE(D(x, G(x)), 0)) / 2``. Checkpoints (models, optimizers, epoch, RNG states,
curves) are written every epoch and a run resumes from the latest one, continuing identically.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

OPTIMIZERS = ("sgd", "rmsprop", "adam", "mtadam")


# --------------------------------------------------------------------------------------- models

class _UNetBlock(nn.Module):
    """One level of the U-Net: down -> (submodule) -> up, output concatenated with the input."""

    def __init__(self, outer_nc, inner_nc, input_nc=None, submodule=None, outermost=False,
                 innermost=False, use_dropout=False):
        super().__init__()
        self.outermost = outermost
        input_nc = outer_nc if input_nc is None else input_nc
        downconv = nn.Conv2d(input_nc, inner_nc, kernel_size=4, stride=2, padding=1, bias=False)
        downrelu = nn.LeakyReLU(0.2, True)
        downnorm = nn.BatchNorm2d(inner_nc)
        uprelu = nn.ReLU(True)
        upnorm = nn.BatchNorm2d(outer_nc)
        if outermost:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1)
            model = [downconv, submodule, uprelu, upconv, nn.Tanh()]
        elif innermost:
            upconv = nn.ConvTranspose2d(inner_nc, outer_nc, kernel_size=4, stride=2, padding=1, bias=False)
            model = [downrelu, downconv, uprelu, upconv, upnorm]
        else:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1, bias=False)
            model = [downrelu, downconv, downnorm, submodule, uprelu, upconv, upnorm]
            if use_dropout:
                model.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*model)

    def forward(self, x):
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


class UNetGenerator(nn.Module):
    """pix2pix's U-Net generator. Input ``[B, in_ch, S, S]`` with S divisible by ``2**num_downs``."""

    def __init__(self, in_ch: int = 3, out_ch: int = 3, ngf: int = 64, num_downs: int = 8,
                 use_dropout: bool = True):
        super().__init__()
        if num_downs < 2:
            raise ValueError(f"num_downs must be at least 2 (got {num_downs})")
        self.num_downs = num_downs
        block = _UNetBlock(ngf * 8, ngf * 8, innermost=True)
        for _ in range(num_downs - 5):  # the 8 ngf middle levels (dropout as in pix2pix)
            block = _UNetBlock(ngf * 8, ngf * 8, submodule=block, use_dropout=use_dropout)
        widths = [ngf * 8, ngf * 4, ngf * 2, ngf]
        if num_downs < 5:  # a shallow net: drop the widest levels
            widths = widths[5 - num_downs:]
            block = _UNetBlock(widths[0], widths[0], innermost=True)
        for outer, inner in zip(widths[1:], widths[:-1]):
            block = _UNetBlock(outer, inner, submodule=block)
        self.model = _UNetBlock(out_ch, ngf, input_nc=in_ch, submodule=block, outermost=True)

    def forward(self, x):
        size = x.shape[-1]
        if x.shape[-2] % (2 ** self.num_downs) or size % (2 ** self.num_downs):
            raise ValueError(f"input {tuple(x.shape[-2:])} is not divisible by 2**num_downs = {2 ** self.num_downs}")
        return self.model(x)


class PatchDiscriminator(nn.Module):
    """The PatchGAN discriminator (70x70 receptive field for ``n_layers=3``) on (input, image) pairs."""

    def __init__(self, in_ch: int = 6, ndf: int = 64, n_layers: int = 3):
        super().__init__()
        layers = [nn.Conv2d(in_ch, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2 ** n, 8)
            layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * mult),
                       nn.LeakyReLU(0.2, True)]
        prev, mult = mult, min(2 ** n_layers, 8)
        layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, 1, 1, bias=False), nn.BatchNorm2d(ndf * mult),
                   nn.LeakyReLU(0.2, True), nn.Conv2d(ndf * mult, 1, 4, 1, 1)]
        self.model = nn.Sequential(*layers)

    def forward(self, x, y):
        return self.model(torch.cat([x, y], 1))


def receptive_field(n_layers: int = 3) -> int:
    """Receptive field in pixels of one PatchGAN output (70 for n_layers=3)."""
    rf = 1
    for stride in [1, 1] + [2] * n_layers:  # from the output back: two stride-1 4x4 convs, then stride 2
        rf = rf * stride + (4 - stride)
    return rf


def init_weights(net: nn.Module, gain: float = 0.02) -> nn.Module:
    """pix2pix's init: conv weights ~ N(0, 0.02), BatchNorm weights ~ N(1, 0.02), biases 0."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, gain)
            nn.init.zeros_(m.bias)
    return net


def build_models(cfg: dict, seed: int):
    """(G, D) for a config with ``ngf, num_downs, ndf, n_layers``, initialised from ``seed``."""
    torch.manual_seed(seed)
    G = init_weights(UNetGenerator(ngf=cfg["ngf"], num_downs=cfg["num_downs"]))
    D = init_weights(PatchDiscriminator(ndf=cfg["ndf"], n_layers=cfg["n_layers"]))
    return G, D


# --------------------------------------------------------------------------------------- losses

def gan_loss(logits: torch.Tensor, real: bool) -> torch.Tensor:
    """pix2pix's 'vanilla' GAN loss: BCE with logits against all-ones (real) or all-zeros (fake)."""
    target = torch.ones_like(logits) if real else torch.zeros_like(logits)
    return F.binary_cross_entropy_with_logits(logits, target)


def generator_terms(G, D, x, y, fake=None):
    """The generator's two loss terms ``[L1, L_GAN]`` (unweighted), L1 = mean |G(x) - y| in [-1, 1] units."""
    fake = G(x) if fake is None else fake
    return [F.l1_loss(fake, y), gan_loss(D(x, fake), True)]


# --------------------------------------------------------------------------------------- optimizers

def make_optimizer(name: str, params, lr: float = 2e-4, beta1: float = 0.5, beta2: float = 0.999,
                   beta3: float = 0.9, momentum: float = 0.9):
    """The generator's optimizer. Adam / MTAdam get pix2pix's betas (0.5, 0.999) (+ beta3 for MTAdam);
    SGD gets momentum 0.9; RMSProp keeps PyTorch's defaults but the learning rate."""
    params = list(params)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(beta1, beta2))
    if name == "mtadam":
        from mtadam import MTAdam

        return MTAdam(params, lr=lr, betas=(beta1, beta2, beta3))
    raise ValueError(f"unknown optimizer {name!r}; use one of {', '.join(OPTIMIZERS)}")


def set_requires_grad(net: nn.Module, flag: bool):
    for p in net.parameters():
        p.requires_grad_(flag)


def discriminator_step(G, D, opt_d, x, y, fake):
    """One Adam step of D on (real pair -> 1, fake pair -> 0) / 2; returns the loss value."""
    set_requires_grad(D, True)
    opt_d.zero_grad(set_to_none=True)
    loss = 0.5 * (gan_loss(D(x, y), True) + gan_loss(D(x, fake.detach()), False))
    loss.backward()
    opt_d.step()
    return float(loss.detach())


def generator_step(G, D, opt_g, optimizer: str, x, y, fake, lambdas=(1.0, 1.0)):
    """One generator step; returns the two term values ``[L1, L_GAN]``.

    ``mtadam``: ``opt_g.step([L1, L_GAN])`` -- per-term gradients w.r.t. G's parameters only; the
    discriminator's parameters and their ``.grad`` are not touched. Others: ``backward`` of
    ``lambda1 L1 + lambda2 L_GAN`` with D frozen (requires_grad off, as pix2pix does), then ``step``.
    """
    if optimizer == "mtadam":
        terms = generator_terms(G, D, x, y, fake)
        opt_g.step(terms)
    else:
        set_requires_grad(D, False)
        terms = generator_terms(G, D, x, y, fake)
        opt_g.zero_grad(set_to_none=True)
        (lambdas[0] * terms[0] + lambdas[1] * terms[1]).backward()
        opt_g.step()
        set_requires_grad(D, True)
    return [float(t.detach()) for t in terms]


def jitter(x, y, size: int, generator: torch.Generator):
    """pix2pix's augmentation on a batch pair: resize to size*286/256, same random crop, same flip."""
    big = int(round(size * 286 / 256))
    if big <= size:
        return x, y
    x = F.interpolate(x, size=(big, big), mode="bilinear", align_corners=False)
    y = F.interpolate(y, size=(big, big), mode="bilinear", align_corners=False)
    i, j = (int(v) for v in torch.randint(0, big - size + 1, (2,), generator=generator))
    x, y = x[..., i:i + size, j:j + size], y[..., i:i + size, j:j + size]
    if torch.rand((), generator=generator) < 0.5:
        x, y = x.flip(-1), y.flip(-1)
    return x, y


# --------------------------------------------------------------------------------------- training

def _save_ckpt(path: Path, state: dict):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def latest_checkpoint(ckpt_dir: Path | None):
    """Path of the newest ``epoch_XXXX.pt`` in ``ckpt_dir`` or None."""
    if ckpt_dir is None or not Path(ckpt_dir).is_dir():
        return None
    found = sorted(Path(ckpt_dir).glob("epoch_*.pt"))
    return found[-1] if found else None


@torch.no_grad()
def predict(G, x, batch_size: int = 16):
    """G(x) in eval mode (eval-mode BatchNorm, no dropout), [-1, 1], on the CPU; G may be on a GPU."""
    was = G.training
    G.eval()
    dev = next(G.parameters()).device
    out = torch.cat([G(x[s:s + batch_size].to(dev)).cpu() for s in range(0, x.shape[0], batch_size)])
    G.train(was)
    return out


def train(*, optimizer: str, lambdas, data: dict, cfg: dict, seed: int, ckpt_dir=None, progress=None,
          epoch_callback=None, evaluate=None, layer_names: bool = True, device=None) -> dict:
    """Train pix2pix's G and D for ``cfg["epochs"]`` epochs; return ``dict(G, D, curves, ...)``.

    ``data``: ``{"train": (x, y), "val": (x, y)}`` tensors in [-1, 1]. ``cfg`` keys: epochs,
    batch_size, lr, ngf, num_downs, ndf, n_layers, jitter (bool), log_every. ``evaluate(G, x, y)``
    returns a dict of validation metrics (default: :func:`mtbook.metrics.image_metrics`), recorded
    per epoch in ``curves["val"]``. ``epoch_callback(epoch, val_metrics)`` is called after each
    epoch (Hyperband reports and prunes from there; raising in it stops the run).

    ``ckpt_dir``: a checkpoint per epoch; with an existing one the run resumes after its epoch with
    the saved models, optimizers, RNG states and curves, so it continues exactly as if uninterrupted.
    """
    from .metrics import image_metrics

    evaluate = evaluate or (lambda G_, x_, y_: image_metrics(predict(G_, x_), y_, fid=False))
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; use one of {', '.join(OPTIMIZERS)}")
    lambdas = tuple(float(v) for v in lambdas)
    xs, ys = data["train"]
    n = xs.shape[0]
    bs = int(cfg["batch_size"])
    if device is None:
        from .profiles import device as default_device

        device = default_device()
    G, D = build_models(cfg, seed)
    G, D = G.to(device), D.to(device)
    opt_g = make_optimizer(optimizer, G.parameters(), lr=cfg["lr"])
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg["lr"], betas=(0.5, 0.999))
    gen = torch.Generator().manual_seed(seed)
    curves = dict(epoch=[], val=[], train_step=[], train_l1=[], train_gan=[], train_d=[], epoch_time=[])
    if optimizer == "mtadam":
        curves.update(ew_step=[], ew_gan_over_l1=[])
    names = [name for name, p in G.named_parameters() if p.requires_grad]
    run_id = {k: cfg[k] for k in sorted(cfg) if k != "epochs"}
    run_id.update(optimizer=optimizer, lambdas=list(lambdas), seed=seed, n_train=n)
    start_epoch, step = 0, 0
    ckpt = latest_checkpoint(ckpt_dir)
    if ckpt is not None:
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        if state.get("run") not in (None, run_id):
            raise ValueError(f"checkpoint {ckpt} belongs to another run ({state['run']}), not {run_id}; "
                             f"delete {Path(ckpt).parent} or use another ckpt_dir")
        G.load_state_dict(state["G"])
        D.load_state_dict(state["D"])
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        gen.set_state(state["gen"])
        torch.set_rng_state(state["torch_rng"])
        if state.get("cuda_rng") is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        curves, start_epoch, step = state["curves"], state["epoch"], state["step"]
        if epoch_callback is not None:  # replay the reports of the finished epochs (Hyperband)
            for e, v in zip(curves["epoch"], curves["val"]):
                epoch_callback(e, v)
    G.train()
    D.train()
    for epoch in range(start_epoch + 1, int(cfg["epochs"]) + 1):
        t0 = time.time()
        order = torch.randperm(n, generator=gen)
        for s in range(0, n - bs + 1 if n >= bs else 1, bs):
            idx = order[s:s + bs]
            x, y = xs[idx].to(device), ys[idx].to(device)
            if cfg.get("jitter"):
                x, y = jitter(x, y, x.shape[-1], gen)
            fake = G(x)
            d_loss = discriminator_step(G, D, opt_d, x, y, fake)
            l1, lgan = generator_step(G, D, opt_g, optimizer, x, y, fake, lambdas)
            step += 1
            if step % int(cfg.get("log_every", 10)) == 0 or step == 1:
                curves["train_step"].append(step)
                curves["train_l1"].append(l1)
                curves["train_gan"].append(lgan)
                curves["train_d"].append(d_loss)
                if optimizer == "mtadam":
                    ew = opt_g.effective_weights().cpu()
                    curves["ew_step"].append(step)
                    curves["ew_gan_over_l1"].append([float(v) for v in (ew[1] / ew[0])])
            if progress is not None:
                progress.update(1)
        val = evaluate(G, *data["val"])
        curves["epoch"].append(epoch)
        curves["val"].append(val)
        curves["epoch_time"].append(time.time() - t0)
        if ckpt_dir is not None:
            _save_ckpt(Path(ckpt_dir) / f"epoch_{epoch:04d}.pt", dict(
                G=G.state_dict(), D=D.state_dict(), opt_g=opt_g.state_dict(), opt_d=opt_d.state_dict(),
                gen=gen.get_state(), torch_rng=torch.get_rng_state(), curves=curves, epoch=epoch, step=step,
                cuda_rng=torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
                run=run_id))
            for old in sorted(Path(ckpt_dir).glob("epoch_*.pt"))[:-1]:
                old.unlink()  # keep the latest only
        if epoch_callback is not None:
            epoch_callback(epoch, val)
    diverged = not all(math.isfinite(v) for v in curves["train_l1"] + curves["train_gan"])
    return dict(G=G, D=D, curves=curves, steps=step, layer_names=names if layer_names else None,
                diverged=diverged)


def steps_per_epoch(n: int, batch_size: int) -> int:
    return max(1, n // batch_size)
