"""CycleGAN's networks and image pool (Zhu et al. 2017, the authors' PyTorch code), with knobs for
small versions.

* :class:`ResnetGenerator` -- c7s1-ngf, two stride-2 3x3 downsampling convolutions, ``n_blocks``
  residual blocks at 4 ngf, two stride-2 transposed convolutions up, c7s1-3 with tanh. Reflection
  padding, instance norm (no affine parameters, no running statistics), ReLU, no dropout. CycleGAN:
  ``ngf=64``, 9 blocks at 256 px, 6 at 128 px.
* :class:`PatchDiscriminatorIN` -- the 70x70 PatchGAN of CycleGAN (``n_layers=3``, ``ndf=64``), not
  conditional, with instance norm where pix2pix's uses BatchNorm
  (:class:`~mtbook.gan.nets_pix2pix.PatchDiscriminator`); convolutions before a norm keep their
  bias,   as in CycleGAN's code (``use_bias = norm is InstanceNorm``).
* :class:`ImagePool` -- the buffer of 50 generated images the discriminators are trained on
  (Shrivastava et al. 2017), with its own seeded RNG and a ``state_dict`` so a checkpoint resumes it
  exactly.

Weights: :func:`mtbook.gan.nets_pix2pix.init_weights` (N(0, 0.02), CycleGAN's
``--init_type normal``).
"""

from __future__ import annotations

import torch
import torch.nn as nn


def _norm(ch: int) -> nn.Module:
    # CycleGAN's "instance" norm: InstanceNorm2d(affine=False, track_running_stats=False)
    return nn.InstanceNorm2d(ch, affine=False, track_running_stats=False)


class ResnetBlock(nn.Module):
    """x + (reflect-pad, conv3x3, IN, ReLU, reflect-pad, conv3x3, IN)(x)."""

    def __init__(self, ch: int):
        super().__init__()
        self.block = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(ch, ch, 3),
            _norm(ch),
            nn.ReLU(True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(ch, ch, 3),
            _norm(ch),
        )

    def forward(self, x):
        return x + self.block(x)


class ResnetGenerator(nn.Module):
    """CycleGAN's ResNet generator; input ``[B, in_ch, S, S]`` with S divisible by 4."""

    def __init__(self, in_ch: int = 3, out_ch: int = 3, ngf: int = 64, n_blocks: int = 9):
        super().__init__()
        if n_blocks < 0 or ngf < 1:
            raise ValueError(f"need ngf >= 1 and n_blocks >= 0, got ngf={ngf}, n_blocks={n_blocks}")
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(in_ch, ngf, 7), _norm(ngf), nn.ReLU(True)]
        for mult in (1, 2):  # downsampling
            layers += [
                nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1),
                _norm(ngf * mult * 2),
                nn.ReLU(True),
            ]
        layers += [ResnetBlock(ngf * 4) for _ in range(n_blocks)]
        for mult in (4, 2):  # upsampling
            layers += [
                nn.ConvTranspose2d(
                    ngf * mult, ngf * mult // 2, 3, stride=2, padding=1, output_padding=1
                ),
                _norm(ngf * mult // 2),
                nn.ReLU(True),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, out_ch, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        if x.shape[-1] % 4 or x.shape[-2] % 4:
            raise ValueError(
                f"input {tuple(x.shape[-2:])} is not divisible by 4 (two stride-2 convolutions)"
            )
        return self.model(x)


class PatchDiscriminatorIN(nn.Module):
    """CycleGAN's PatchGAN on one image (70x70 receptive field, ``n_layers=3``), instance norm."""

    def __init__(self, in_ch: int = 3, ndf: int = 64, n_layers: int = 3):
        super().__init__()
        layers = [nn.Conv2d(in_ch, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2**n, 8)
            layers += [
                nn.Conv2d(ndf * prev, ndf * mult, 4, 2, 1),
                _norm(ndf * mult),
                nn.LeakyReLU(0.2, True),
            ]
        prev, mult = mult, min(2**n_layers, 8)
        layers += [
            nn.Conv2d(ndf * prev, ndf * mult, 4, 1, 1),
            _norm(ndf * mult),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * mult, 1, 4, 1, 1),
        ]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


class ImagePool:
    """CycleGAN's history of generated images (``pool_size`` 50; 0 disables it).

    ``query(images)``: while the pool is not full, each image is stored and returned; afterwards,
    with probability 1/2 an image is swapped with a random stored one (the stored one is returned),
    else returned as is. Randomness comes from the pool's own ``torch.Generator`` (seeded), so the
    choices do not depend on, nor disturb, the training's other random numbers, and ``state_dict`` /
    ``load_state_dict`` restore the pool and its generator exactly.
    """

    def __init__(self, pool_size: int = 50, seed: int = 0):
        if pool_size < 0:
            raise ValueError(f"pool_size must be >= 0, got {pool_size}")
        self.pool_size = int(pool_size)
        self.images: list[torch.Tensor] = []
        self.gen = torch.Generator().manual_seed(int(seed))

    def __len__(self) -> int:
        return len(self.images)

    @torch.no_grad()
    def query(self, images: torch.Tensor) -> torch.Tensor:
        if self.pool_size == 0:
            return images.detach()
        out = []
        for image in images.detach():
            image = image.unsqueeze(0)
            if len(self.images) < self.pool_size:
                self.images.append(image.clone())
                out.append(image)
            elif float(torch.rand((), generator=self.gen)) > 0.5:
                k = int(torch.randint(0, self.pool_size, (), generator=self.gen))
                out.append(self.images[k].to(image.device))
                self.images[k] = image.clone()
            else:
                out.append(image)
        return torch.cat(out, 0)

    def state_dict(self) -> dict:
        return dict(
            pool_size=self.pool_size,
            images=[t.cpu() for t in self.images],
            gen=self.gen.get_state(),
        )

    def load_state_dict(self, state: dict) -> None:
        if int(state["pool_size"]) != self.pool_size:
            raise ValueError(
                f"pool of size {state['pool_size']} cannot be loaded into one of size "
                f"{self.pool_size}"
            )
        self.images = [
            t.clone() for t in state["images"]
        ]  # moved to the batch's device when returned
        self.gen.set_state(state["gen"])
