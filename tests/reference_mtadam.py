"""A deliberately naive MTAdam, written line by line from Algorithm 1 with Python loops.

It is the oracle the module is tested against: no foreach, no stacking, no vectorisation; every
scalar of Algorithm 1 is a Python float or a float64 tensor element, in the order the paper prints.
Where Algorithm 1 is silent it follows the choices documented in ``mtadam/mtadam.py``:

* norm_init "first": n^i_l starts at the first non-zero ||g^i_l|| (line 2 alternative);
* the anchor of layer l is term 1 unless term 1 has never had a non-zero gradient on l, in which
  case it is the first term that has (all running norms of step t are updated before line 8);
* n = 0 gives a zero normalised gradient; ranks multiply line 8;
* coupled weight decay adds wd * theta to the anchor term's gradient once per step; decoupled decay
  multiplies theta by (1 - lr * wd) before line 13;
* normalize "global" uses one running norm per term over all parameters of a group;
* a parameter that no term reaches at a step is skipped entirely, as torch optimizers skip
  parameters whose .grad is None (each parameter counts its own steps t).
"""

import math

import torch


class ReferenceMTAdam:
    def __init__(
        self,
        groups,
        betas=(0.9, 0.999, 0.9),
        eps=1e-8,
        weight_decay=0.0,
        decoupled_weight_decay=False,
        norm_init="first",
        normalize="layer",
        anchor=True,
        denom="max",
    ):
        # groups: list of dicts {"params": [float64 tensors], "lr": float}
        self.groups = groups
        self.b1, self.b2, self.b3 = betas
        self.eps = eps
        self.wd = weight_decay
        self.decoupled = decoupled_weight_decay
        self.norm_init = norm_init
        self.normalize = normalize
        self.anchor = anchor
        self.denom = denom
        self.t = None  # t[k]: steps taken by parameter k
        self.m = self.v = None  # m[i][k], v[i][k] over terms i and flat parameter index k
        self.n = self.seen = None  # n[i][k] (per layer) or n[i][group] (global)

    def params(self):
        return [p for g in self.groups for p in g["params"]]

    def step(self, grads, ranks=None):
        params = self.params()
        num_terms = len(grads)
        if ranks is None:
            ranks = [1.0] * num_terms
        if self.m is None:  # lines 1-2
            self.m = [[torch.zeros_like(p) for p in params] for _ in range(num_terms)]
            self.v = [[torch.zeros_like(p) for p in params] for _ in range(num_terms)]
            slots = len(params) if self.normalize != "global" else len(self.groups)
            init = 1.0 if self.norm_init == "one" else 0.0
            self.n = [[init] * slots for _ in range(num_terms)]
            self.seen = [[False] * slots for _ in range(num_terms)]
            self.t = [0] * len(params)
        active = [
            any(grads[i][k] is not None for i in range(num_terms)) for k in range(len(params))
        ]
        for k in range(len(params)):
            self.t[k] += active[k]  # line 3

        # line 5, with missing gradients as zeros and coupled weight decay inside the anchor term
        g = [
            [
                grads[i][k].clone() if grads[i][k] is not None else torch.zeros_like(params[k])
                for k in range(len(params))
            ]
            for i in range(num_terms)
        ]
        if self.wd != 0.0 and not self.decoupled:
            for k, p in enumerate(params):
                g[0][k] = g[0][k] + self.wd * p

        # slot of each parameter: itself (per layer) or its group (global)
        slot_of, k = [], 0
        for gi, group in enumerate(self.groups):
            for _ in group["params"]:
                slot_of.append(k if self.normalize != "global" else gi)
                k += 1
        nslots = len(self.n[0])

        # line 7 for every term and slot
        for i in range(num_terms):
            for s in range(nslots):
                sq = 0.0
                if not any(active[k] and slot_of[k] == s for k in range(len(params))):
                    continue
                for k in range(len(params)):
                    if active[k] and slot_of[k] == s:
                        sq += float(torch.sum(g[i][k] * g[i][k]))
                norm = math.sqrt(sq)
                if self.norm_init == "first" and not self.seen[i][s]:
                    self.n[i][s] = norm
                else:
                    self.n[i][s] = self.b3 * self.n[i][s] + (1.0 - self.b3) * norm
                if norm > 0.0:
                    self.seen[i][s] = True

        # line 8
        for i in range(num_terms):
            for k in range(len(params)):
                if not active[k]:
                    continue
                s = slot_of[k]
                if self.normalize == "none":
                    factor = 1.0
                else:
                    if self.anchor:
                        a = next((j for j in range(num_terms) if self.seen[j][s]), 0)
                        numer = self.n[a][s]
                    else:
                        numer = 1.0
                    factor = numer / self.n[i][s] if self.n[i][s] > 0.0 else 0.0
                g[i][k] = ranks[i] * factor * g[i][k]

        # lines 9-12
        mhat = [[None] * len(params) for _ in range(num_terms)]
        vhat = [[None] * len(params) for _ in range(num_terms)]
        for i in range(num_terms):
            for k in range(len(params)):
                if not active[k]:
                    continue
                t = self.t[k]
                self.m[i][k] = self.b1 * self.m[i][k] + (1.0 - self.b1) * g[i][k]
                self.v[i][k] = self.b2 * self.v[i][k] + (1.0 - self.b2) * g[i][k] ** 2
                mhat[i][k] = self.m[i][k] / (1.0 - self.b1**t)
                vhat[i][k] = self.v[i][k] / (1.0 - self.b2**t)

        if self.wd != 0.0 and self.decoupled:
            k = 0
            for group in self.groups:
                for p in group["params"]:
                    if active[k]:
                        p.mul_(1.0 - group["lr"] * self.wd)
                    k += 1

        # lines 13-15
        k = 0
        for group in self.groups:
            for p in group["params"]:
                if not active[k]:
                    k += 1
                    continue
                if self.denom == "max":
                    vmax = vhat[0][k]
                    for i in range(1, num_terms):
                        vmax = torch.maximum(vmax, vhat[i][k])
                elif self.denom == "mean":
                    vmax = sum(vhat[i][k] for i in range(num_terms)) / num_terms
                for i in range(num_terms):
                    d = vhat[i][k] if self.denom == "own" else vmax
                    p.sub_(group["lr"] * mhat[i][k] / (torch.sqrt(d) + self.eps))
                k += 1
