"""pix2pix's networks (Isola et al. 2017, the authors' PyTorch code), with knobs for small versions.

* :class:`UNetGenerator` -- the U-Net: ``num_downs`` stride-2 4x4 convolutions down (Conv-BatchNorm-
  LeakyReLU(0.2)), as many transposed convolutions up (ReLU-ConvT-BatchNorm, dropout 0.5 in the
  three innermost up blocks), skip connections between mirrored layers, tanh output. ``ngf`` =
  filters of the first layer (64 in the paper), doubling up to ``8 ngf``. pix2pix at 256 px:
  ``num_downs=8``.
* :class:`PatchDiscriminator` -- the 70x70 PatchGAN (``n_layers=3``, ``ndf=64``): a grid of
  real/fake logits, each looking at a 70x70 patch of its input (pix2pix: the (input, image) pair).
* :func:`init_weights` -- pix2pix's N(0, 0.02) initialisation.
"""

from __future__ import annotations

import torch
import torch.nn as nn


class _UNetBlock(nn.Module):
    """One level of the U-Net: down -> (submodule) -> up, output concatenated with the input."""

    def __init__(
        self,
        outer_nc,
        inner_nc,
        input_nc=None,
        submodule=None,
        outermost=False,
        innermost=False,
        use_dropout=False,
    ):
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
            upconv = nn.ConvTranspose2d(
                inner_nc, outer_nc, kernel_size=4, stride=2, padding=1, bias=False
            )
            model = [downrelu, downconv, uprelu, upconv, upnorm]
        else:
            upconv = nn.ConvTranspose2d(
                inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1, bias=False
            )
            model = [downrelu, downconv, downnorm, submodule, uprelu, upconv, upnorm]
            if use_dropout:
                model.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*model)

    def forward(self, x):
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


class UNetGenerator(nn.Module):
    """pix2pix's U-Net generator. Input ``[B, in_ch,
    S, S]`` with S divisible by ``2**num_downs``."""

    def __init__(
        self,
        in_ch: int = 3,
        out_ch: int = 3,
        ngf: int = 64,
        num_downs: int = 8,
        use_dropout: bool = True,
    ):
        super().__init__()
        if num_downs < 2:
            raise ValueError(f"num_downs must be at least 2 (got {num_downs})")
        self.num_downs = num_downs
        block = _UNetBlock(ngf * 8, ngf * 8, innermost=True)
        for _ in range(num_downs - 5):  # the 8 ngf middle levels (dropout as in pix2pix)
            block = _UNetBlock(ngf * 8, ngf * 8, submodule=block, use_dropout=use_dropout)
        widths = [ngf * 8, ngf * 4, ngf * 2, ngf]
        if num_downs < 5:  # a shallow net: drop the widest levels
            widths = widths[5 - num_downs :]
            block = _UNetBlock(widths[0], widths[0], innermost=True)
        for outer, inner in zip(widths[1:], widths[:-1]):
            block = _UNetBlock(outer, inner, submodule=block)
        self.model = _UNetBlock(out_ch, ngf, input_nc=in_ch, submodule=block, outermost=True)

    def forward(self, x):
        size = x.shape[-1]
        if x.shape[-2] % (2**self.num_downs) or size % (2**self.num_downs):
            raise ValueError(
                f"input {tuple(x.shape[-2:])} is not divisible by "
                f"2**num_downs = {2**self.num_downs}"
            )
        return self.model(x)


class PatchDiscriminator(nn.Module):
    """The PatchGAN discriminator (70x70 receptive field
    for ``n_layers=3``) on (input, image) pairs."""

    def __init__(self, in_ch: int = 6, ndf: int = 64, n_layers: int = 3, conditional: bool = True):
        super().__init__()
        layers = [nn.Conv2d(in_ch, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2**n, 8)
            layers += [
                nn.Conv2d(ndf * prev, ndf * mult, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ndf * mult),
                nn.LeakyReLU(0.2, True),
            ]
        prev, mult = mult, min(2**n_layers, 8)
        layers += [
            nn.Conv2d(ndf * prev, ndf * mult, 4, 1, 1, bias=False),
            nn.BatchNorm2d(ndf * mult),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * mult, 1, 4, 1, 1),
        ]
        self.model = nn.Sequential(*layers)
        self.conditional = conditional

    def forward(self, x, y=None):
        """Logits of ``(x, y)`` concatenated (conditional, pix2pix) or of ``x`` alone (CycleGAN)."""
        return self.model(torch.cat([x, y], 1) if self.conditional else x)


def receptive_field(n_layers: int = 3) -> int:
    """Receptive field in pixels of one PatchGAN output (70 for n_layers=3)."""
    rf = 1
    for stride in [1, 1] + [
        2
    ] * n_layers:  # from the output back: two stride-1 4x4 convs, then stride 2
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
