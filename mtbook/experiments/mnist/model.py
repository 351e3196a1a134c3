"""MNIST's ten class terms, their per-term gradients and the data (one place for each).

* :func:`draw_weights` -- the two weight draws: the paper's U(1, 1000) for all ten classes, and the
  authors' public script's w_0 = 1, w_1..9 ~ U(0, 1000).
* :func:`class_terms` -- the ten terms ``term_i = w_i * sum_{j: y_j = i} NLL_j / B``. Their sum is
  the class-weighted mean NLL; a class absent from the batch gives a zero term (never NaN).
* :func:`per_term_grads` -- the gradient of every term from a forward/backward on that class's
  sub-batch only (exact: the terms depend on disjoint samples and the network has no batch norm).
* :func:`load_mnist` -- the real MNIST files (verified), normalised, with stratified subsets.

The network is :class:`mtbook.core.models.MnistNet` (the PyTorch MNIST example CNN).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .spec import DRAWS, MEAN, NUM_CLASSES, STD


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


def class_terms(
    log_probs: torch.Tensor, target: torch.Tensor, weights, batch_size: int | None = None
):
    """The ten loss terms ``term_i = w_i * sum_{j: y_j = i} NLL_j / B`` as a tensor of shape [10].

    ``B`` is ``batch_size`` (default: the number of rows). A class absent from the batch gives a
    zero term. ``terms.sum()`` is the class-weighted mean NLL ``sum_j w_{y_j} NLL_j / B``.
    """
    if log_probs.dim() != 2 or log_probs.shape[1] != NUM_CLASSES:
        raise ValueError(
            f"log_probs must have shape [batch, {NUM_CLASSES}], got {tuple(log_probs.shape)}"
        )
    if target.shape != log_probs.shape[:1]:
        raise ValueError(
            f"target must have shape [{log_probs.shape[0]}], got {tuple(target.shape)}"
        )
    w = torch.as_tensor(weights, dtype=log_probs.dtype, device=log_probs.device)
    if w.shape != (NUM_CLASSES,):
        raise ValueError(f"weights must hold {NUM_CLASSES} numbers, got shape {tuple(w.shape)}")
    B = log_probs.shape[0] if batch_size is None else batch_size
    nll = F.nll_loss(log_probs, target, reduction="none")
    per_class = torch.zeros(NUM_CLASSES, dtype=nll.dtype, device=nll.device).index_add(
        0, target, nll
    )
    return w * per_class / B


def weighted_loss(log_probs: torch.Tensor, target: torch.Tensor, weights) -> torch.Tensor:
    """The weighted sum of the ten terms, ``sum_j w_{y_j}
    NLL_j / B`` (what SGD/RMSProp/Adam minimise)."""
    w = torch.as_tensor(weights, dtype=log_probs.dtype, device=log_probs.device)
    nll = F.nll_loss(log_probs, target, reduction="none")
    return (w[target] * nll).sum() / log_probs.shape[0]


def authors_terms(log_probs: torch.Tensor, target: torch.Tensor, weights) -> torch.Tensor:
    """The terms as the authors' script defines them: ``nll_loss(weight=onehot_i * w_i)``, mean
    reduction.

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


def per_term_grads(
    model: nn.Module, x: torch.Tensor, target: torch.Tensor, weights, params: list | None = None
) -> tuple[list, torch.Tensor]:
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


@dataclass
class MNISTData:
    """MNIST as normalised tensors in memory (one load; no DataLoader needed on 1x28x28 images)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    def to(self, device) -> "MNISTData":
        """The same data on ``device`` (the whole of MNIST fits on any GPU)."""
        return MNISTData(
            *(t.to(device) for t in (self.x_train, self.y_train, self.x_test, self.y_test))
        )


def _normalise(images_uint8: torch.Tensor) -> torch.Tensor:
    # same numbers as ToTensor() then Normalize((0.1307,), (0.3081,))
    return ((images_uint8.float() / 255.0 - MEAN) / STD).unsqueeze(1)


def stratified_subset(labels: torch.Tensor, size: int | None, seed: int = 1234) -> torch.Tensor:
    """Indices of a class-stratified random subset of about ``size`` samples (all, in order, if
    None).

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

    from ...core.data import mnist_root

    root = mnist_root()
    train = MNIST(str(root), train=True, download=False)
    test = MNIST(str(root), train=False, download=False)
    tr = stratified_subset(train.targets, train_size)
    te = stratified_subset(test.targets, test_size)
    return MNISTData(
        x_train=_normalise(train.data[tr]),
        y_train=train.targets[tr].clone(),
        x_test=_normalise(test.data[te]),
        y_test=test.targets[te].clone(),
    )
