"""The GAN toolkit: one loop (:mod:`.loop`) for any number of generators, discriminators and loss
terms; LR schedules (:mod:`.schedule`); checkpoints (:mod:`.checkpoint`); losses, freezing,
augmentation and inference (:mod:`.utils`); networks per method (:mod:`.nets_pix2pix`, ...); the
chapters' Hyperband rows, in one process or shared by workers (:mod:`.hyperband_row`)."""

from .loop import GanSetup, steps_per_epoch, train, train_from_config
from .utils import gan_loss, jitter, predict, set_requires_grad

__all__ = [
    "GanSetup",
    "train",
    "train_from_config",
    "steps_per_epoch",
    "gan_loss",
    "jitter",
    "predict",
    "set_requires_grad",
]
