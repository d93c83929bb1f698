"""Behaviour of the definitions the chapters teach and `helpers` saves.

(That the notebooks hold the same code is tests/test_taught_code.py's job.)
helpers.models (7.1's CNNs and augmentation, 7.3's BiasedMF), helpers.encoders
(chapter 5's mean pooling and sentence embeddings), helpers.tensors.to_numpy and
helpers.bpmf.select_dim (7.3's choice of BPMF's dimension).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from helpers import bpmf
from helpers.encoders import embed, mean_pool
from helpers.models import BiasedMF, article_cnn, augment, improved_cnn
from helpers.tensors import to_numpy


def test_article_cnn_matches_the_article():
    model = article_cnn()
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    # Conv 32/64/64 + Dense 64/10, as the article's Keras summary counts them
    assert sum(p.numel() for p in model.parameters()) == 93_322


@pytest.mark.parametrize(("width", "convs"), [(8, 1), (16, 2)])
def test_improved_cnn_keeps_the_image_size_until_pooling(width, convs):
    model = improved_cnn(width=width, convs_per_stage=convs).eval()
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    convolutions = [m for m in model if isinstance(m, torch.nn.Conv2d)]
    assert len(convolutions) == 3 * convs
    assert [c.out_channels for c in convolutions[::convs]] == [
        width,
        2 * width,
        4 * width,
    ]


def test_augment_is_the_identity_when_switched_off_and_random_otherwise():
    x = torch.rand(4, 1, 28, 28)
    assert torch.allclose(augment(x, max_shift=0, max_degrees=0), x, atol=1e-5)
    torch.manual_seed(0)
    moved = augment(x)
    assert moved.shape == x.shape and not torch.allclose(moved, x, atol=1e-3)


def test_augment_flip_mirrors_left_and_right():
    x = torch.zeros(64, 1, 8, 8)
    x[..., :4] = 1.0  # left half lit
    torch.manual_seed(0)
    flipped = augment(x, max_shift=0, max_degrees=0, flip=True)
    right_lit = flipped[..., 4:].mean((1, 2, 3)) > 0.9
    assert 0 < right_lit.sum() < 64  # some mirrored, some not


def test_biased_mf_predicts_mu_at_start_and_scores_every_pair():
    torch.manual_seed(0)
    model = BiasedMF(num_users=5, num_items=7, dim=3, mu=3.5)
    users, items = torch.tensor([0, 4, 2]), torch.tensor([6, 0, 3])
    assert torch.allclose(model(users, items), torch.full((3,), 3.5), atol=1e-3)
    with torch.no_grad():
        model.user_bias.weight.fill_(0.25)
    scores = model.score_all()
    assert scores.shape == (5, 7) and not scores.requires_grad
    assert torch.allclose(scores[users, items], model(users, items).detach())
    assert "mu" in model.state_dict()  # saved with the weights


def test_biased_mf_penalty_is_the_per_rating_l2():
    torch.manual_seed(0)
    model = BiasedMF(3, 3, dim=2, mu=0.0)
    users, items = torch.tensor([0, 1]), torch.tensor([2, 2])
    p, q = model.user_factors.weight[users], model.item_factors.weight[items]
    expected = 0.1 * ((p**2).sum(1) + (q**2).sum(1)).mean()
    assert torch.allclose(model.penalty(users, items, lam=0.1, lam_bias=0.0), expected)


def test_to_numpy_accepts_tensors_that_need_grad_arrays_and_lists():
    t = torch.ones(2, 3, requires_grad=True) * 2
    assert (
        isinstance(to_numpy(t), np.ndarray) and to_numpy(t).tolist() == [[2.0] * 3] * 2
    )
    a = np.arange(3)
    assert to_numpy(a) is a
    assert to_numpy([1, 2]).tolist() == [1, 2]


def test_mean_pool_ignores_padding():
    hidden = torch.tensor([[[1.0, 1.0], [3.0, 3.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    assert mean_pool(hidden, mask).tolist() == [[2.0, 2.0]]
    assert torch.isfinite(
        mean_pool(hidden, torch.zeros(1, 3))
    ).all()  # all padding: no NaN


class _Batch(dict):
    def to(self, device):
        return _Batch({k: v.to(device) for k, v in self.items()})


class _Tokenizer:
    """One token per character, its code point; pads with 0."""

    def __call__(self, texts, padding, truncation, max_length, return_tensors):
        ids = [[ord(c) for c in t][:max_length] for t in texts]
        width = max(len(i) for i in ids)
        return _Batch(
            input_ids=torch.tensor([i + [0] * (width - len(i)) for i in ids]),
            attention_mask=torch.tensor(
                [[1] * len(i) + [0] * (width - len(i)) for i in ids]
            ),
        )


class _Encoder(torch.nn.Module):
    class config:  # noqa: N801 (the shape of a transformers config)
        hidden_size = 4

    def __init__(self):
        super().__init__()
        self.table = torch.nn.Embedding(200, 4)

    def forward(self, input_ids, attention_mask):
        return type("Output", (), {"last_hidden_state": self.table(input_ids)})


def test_embed_returns_unit_vectors_in_the_input_order_whatever_the_batches():
    torch.manual_seed(0)
    tokenizer, encoder = _Tokenizer(), _Encoder()
    texts = ["a much longer text", "hi", "mid text", "x"]
    together = embed(texts, tokenizer, encoder, batch_size=64)
    one_by_one = np.concatenate([embed([t], tokenizer, encoder) for t in texts])
    assert together.shape == (4, 4) and together.dtype == np.float32
    assert np.allclose(np.linalg.norm(together, axis=1), 1, atol=1e-6)
    assert np.allclose(
        together, embed(texts, tokenizer, encoder, batch_size=2), atol=1e-6
    )
    assert np.allclose(together, one_by_one, atol=1e-6)  # padding changes nothing
    assert not encoder.training


def test_embed_cuts_texts_at_max_length():
    torch.manual_seed(0)
    tokenizer, encoder = _Tokenizer(), _Encoder()
    cut = embed(["abcdef"], tokenizer, encoder, max_length=3)
    assert np.allclose(cut, embed(["abc"], tokenizer, encoder), atol=1e-6)


def test_select_dim_chooses_the_lowest_validation_rmse():
    rng = np.random.default_rng(0)
    num_users, num_items = 30, 40
    users_f, items_f = rng.normal(size=(num_users, 2)), rng.normal(size=(num_items, 2))
    pairs = [
        (u, i) for u in range(num_users) for i in range(num_items) if rng.random() < 0.5
    ]
    frame = pd.DataFrame(pairs, columns=["user_id", "item_id"])
    truth = 3 + (users_f[frame["user_id"]] * items_f[frame["item_id"]]).sum(1)
    frame["rating"] = np.clip(truth + rng.normal(scale=0.1, size=len(frame)), 1, 5)
    fit_part, val = (
        frame.iloc[: len(frame) * 9 // 10],
        frame.iloc[len(frame) * 9 // 10 :],
    )
    best, scores = bpmf.select_dim(
        fit_part, val, [1, 2], num_users, num_items, num_samples=20, burn_in=5
    )
    assert set(scores) == {1, 2} and best == min(scores, key=scores.get)
    assert all(np.isfinite(v) for v in scores.values())
