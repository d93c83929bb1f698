"""Models the chapters teach, saved here for later chapters, scripts and benchmarks.

Each definition below is written first, visibly, in the chapter that teaches
it, in a cell that starts with ``# taught here; saved in helpers.models``.
``tests/test_taught_code.py`` checks that the notebook's code and this copy are
the same (compared as Python syntax trees, docstrings included), so they cannot
drift apart: change one, change both.

- :func:`article_cnn`, :func:`augment`, :func:`improved_cnn` — project 7.1
- :class:`BiasedMF` — project 7.3
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def article_cnn() -> nn.Sequential:
    """The article's CNN for 28×28 grey images (7.1.2): logits for 10 classes."""
    # Conv32 → Pool → Conv64 → Pool → Conv64 → Dense64 → Dense10
    return nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 28 → 26 → 13
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 13 → 11 → 5
        nn.Conv2d(64, 64, 3),
        nn.ReLU(),  # 5 → 3
        nn.Flatten(),
        nn.Linear(3 * 3 * 64, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )


def augment(x, max_shift=2, max_degrees=10.0, flip=False):
    """Randomly shift, rotate and (if ``flip``) mirror images (n, 1, h, w)."""
    n, device = len(x), x.device
    angle = (torch.rand(n, device=device) * 2 - 1) * math.radians(max_degrees)
    # the grid's units run from -1 to 1 across the image: pixels × 2 / width
    shift = (torch.rand(n, 2, device=device) * 2 - 1) * 2 * max_shift / x.shape[-1]
    mirror = torch.ones(n, device=device)
    if flip:
        mirror = torch.where(torch.rand(n, device=device) < 0.5, -1.0, 1.0)
    cos, sin = angle.cos(), angle.sin()
    theta = torch.stack(
        [
            torch.stack([cos * mirror, -sin, shift[:, 0]], 1),
            torch.stack([sin * mirror, cos, shift[:, 1]], 1),
        ],
        1,
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")


def improved_cnn(width=32, convs_per_stage=2, dropout=0.3) -> nn.Sequential:
    """Three (3×3 conv, batch norm, ReLU) stages, global pooling, dropout, linear."""
    layers, c_in = [], 1
    for stage in range(3):
        c_out = width * 2**stage
        for _ in range(convs_per_stage):
            layers += [
                nn.Conv2d(
                    c_in, c_out, 3, padding=1, bias=False
                ),  # BN's shift is the bias
                nn.BatchNorm2d(c_out),
                nn.ReLU(),
            ]
            c_in = c_out
        # 28 → 14 → 7 → 1
        layers.append(nn.MaxPool2d(2) if stage < 2 else nn.AdaptiveAvgPool2d(1))
    return nn.Sequential(
        *layers, nn.Flatten(), nn.Dropout(dropout), nn.Linear(c_in, 10)
    )


class BiasedMF(nn.Module):  # rating = μ + b_u + b_i + p_u · q_i
    def __init__(self, num_users, num_items, dim, mu):
        super().__init__()
        # (num_users, dim): a row per user
        self.user_factors = nn.Embedding(num_users, dim)
        self.item_factors = nn.Embedding(num_items, dim)  # (num_items, dim)
        self.user_bias = nn.Embedding(num_users, 1)
        self.item_bias = nn.Embedding(num_items, 1)
        nn.init.normal_(self.user_factors.weight, std=0.01)
        nn.init.normal_(self.item_factors.weight, std=0.01)
        nn.init.zeros_(self.user_bias.weight)
        nn.init.zeros_(self.item_bias.weight)
        # global mean, saved with weights
        self.register_buffer("mu", torch.tensor(float(mu)))

    def forward(self, users, items):
        p, q = self.user_factors(users), self.item_factors(items)
        b_u, b_i = self.user_bias(users).squeeze(-1), self.item_bias(items).squeeze(-1)
        return self.mu + b_u + b_i + (p * q).sum(dim=-1)

    def penalty(self, users, items, lam, lam_bias):  # L2 on the rows this batch uses
        p, q = self.user_factors(users), self.item_factors(items)
        b_u, b_i = self.user_bias(users).squeeze(-1), self.item_bias(items).squeeze(-1)
        squares = p.pow(2).sum(-1) + q.pow(2).sum(-1)
        return (
            lam * squares + lam_bias * (b_u**2 + b_i**2)
        ).mean()  # mean over ratings

    @torch.no_grad()
    def score_all(self):  # every (user, item) pair's rating: (num_users, num_items)
        biases = self.user_bias.weight + self.item_bias.weight.T
        return self.mu + biases + self.user_factors.weight @ self.item_factors.weight.T
