"""Learning-rate schedules of the original GAN methods.

pix2pix and CycleGAN train ``n_epochs`` epochs at the initial rate, then ``n_epochs_decay`` epochs
with the rate decaying linearly towards zero (their ``--lr_policy linear``, ``--epoch_count 1``)::

    factor(e) = 1 - max(0, e + 1 - n_epochs) / (n_epochs_decay + 1)

where ``e`` is the number of finished epochs (the scheduler steps once at the end of each epoch).
Epochs 1..n_epochs run at the initial rate; the last epoch runs at 1 / (n_epochs_decay + 1) of it.
"""

from __future__ import annotations

import torch


def linear_decay_factor(epoch: int, n_epochs: int, n_epochs_decay: int) -> float:
    """The multiplier of the initial rate after ``epoch``
    finished epochs, as pix2pix computes it."""
    if n_epochs < 0 or n_epochs_decay < 0:
        raise ValueError(
            f"n_epochs and n_epochs_decay must be >= 0, got {n_epochs}, {n_epochs_decay}"
        )
    return 1.0 - max(0, epoch + 1 - n_epochs) / float(n_epochs_decay + 1)


def make_scheduler(optimizer, n_epochs: int, n_epochs_decay: int):
    """A ``LambdaLR`` stepping once per epoch with
    :func:`linear_decay_factor` (constant if no decay)."""
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda epoch: linear_decay_factor(epoch, n_epochs, n_epochs_decay)
    )
