"""SRGAN's networks (Ledig et al. 2017, Fig. 4), x4: the SRResNet generator and the discriminator.

* :class:`SRResNet` -- 9x9 conv + PReLU; ``n_blocks`` residual blocks (conv3x3-BN-PReLU-conv3x3-BN,
  identity skip); conv3x3-BN plus a skip from before the blocks; two x2 upsamplers (conv3x3 to 4x
  the channels, ``PixelShuffle(2)``, PReLU); a 9x9 output conv. SRGAN: ``n_blocks=16, nf=64``. The
  output has no activation (images in [-1, 1]; the metrics clamp).
* :class:`SRDiscriminator` -- eight 3x3 convs with LeakyReLU(0.2), widths
  ``ndf x (1,1,2,2,4,4,8,8)``, stride 2 at every second conv, BatchNorm from the second conv on;
  then dense 1024, LeakyReLU, dense 1 (a logit). SRGAN: ``ndf=64`` on 96x96 crops (6x6 maps
  before the dense layers); an adaptive average pool to 6x6 makes other sizes work (identity at
  96 px). ``features=True`` also returns the eight conv activations (used by the feature-matching
  perceptual stand-in).

Both keep PyTorch's default initialisation (as the common SRGAN re-implementations do).
"""

from __future__ import annotations

import torch
import torch.nn as nn


class ResidualBlock(nn.Module):
    def __init__(self, nf: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(nf, nf, 3, padding=1),
            nn.BatchNorm2d(nf),
            nn.PReLU(),
            nn.Conv2d(nf, nf, 3, padding=1),
            nn.BatchNorm2d(nf),
        )

    def forward(self, x):
        return x + self.body(x)


class SRResNet(nn.Module):
    """The x4 SRResNet generator (``scale`` 4 = two x2 pixel-shuffle upsamplers)."""

    def __init__(self, n_blocks: int = 16, nf: int = 64, scale: int = 4):
        super().__init__()
        if scale not in (2, 4, 8):
            raise ValueError(f"scale must be 2, 4 or 8 (x2 upsamplers), got {scale}")
        if n_blocks < 1 or nf < 1:
            raise ValueError(f"need n_blocks >= 1 and nf >= 1, got {n_blocks}, {nf}")
        self.head = nn.Sequential(nn.Conv2d(3, nf, 9, padding=4), nn.PReLU())
        self.blocks = nn.Sequential(*[ResidualBlock(nf) for _ in range(n_blocks)])
        self.trunk = nn.Sequential(nn.Conv2d(nf, nf, 3, padding=1), nn.BatchNorm2d(nf))
        ups = []
        for _ in range({2: 1, 4: 2, 8: 3}[scale]):
            ups += [nn.Conv2d(nf, 4 * nf, 3, padding=1), nn.PixelShuffle(2), nn.PReLU()]
        self.up = nn.Sequential(*ups)
        self.tail = nn.Conv2d(nf, 3, 9, padding=4)
        self.scale = scale

    def forward(self, x):
        h = self.head(x)
        return self.tail(self.up(h + self.trunk(self.blocks(h))))


class SRDiscriminator(nn.Module):
    """SRGAN's discriminator; ``forward(x, features=True)``: ``(logit, [conv activations])``."""

    WIDTHS = (1, 1, 2, 2, 4, 4, 8, 8)

    def __init__(self, ndf: int = 64, dense: int = 1024):
        super().__init__()
        layers, c_in = [], 3
        for i, w in enumerate(self.WIDTHS):
            c = ndf * w
            mods = [nn.Conv2d(c_in, c, 3, stride=2 if i % 2 else 1, padding=1)]
            if i > 0:
                mods.append(nn.BatchNorm2d(c))
            mods.append(nn.LeakyReLU(0.2))
            layers.append(nn.Sequential(*mods))
            c_in = c
        self.convs = nn.ModuleList(layers)
        self.pool = nn.AdaptiveAvgPool2d(6)
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(c_in * 36, dense), nn.LeakyReLU(0.2), nn.Linear(dense, 1)
        )

    def forward(self, x, features: bool = False):
        feats = []
        for conv in self.convs:
            x = conv(x)
            feats.append(x)
        logit = self.head(self.pool(x))
        return (logit, feats) if features else logit


def n_params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


@torch.no_grad()
def output_size(net: SRResNet, lr_size: int) -> int:
    """The HR side length the generator produces for an ``lr_size`` input (``scale * lr_size``)."""
    return net(torch.zeros(1, 3, lr_size, lr_size)).shape[-1]
