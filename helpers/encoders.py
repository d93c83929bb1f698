"""Sentence embeddings from a pretrained encoder, as chapter 5 teaches them.

The definitions below are written first, visibly, in chapter 5 (5.2, BERT), in
a cell that starts with ``# taught here; saved in helpers.encoders``; project
7.2 and later chapters import them from here. ``tests/test_taught_code.py``
checks that the notebook's code and this copy are the same.

Load the encoder with :func:`helpers.text_models.load_sentence_encoder`.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .tensors import to_numpy


def mean_pool(hidden, mask):
    """Average each text's token vectors, ignoring padding: (n, time, w) → (n, w)."""
    mask = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


@torch.no_grad()
def embed(texts, tokenizer, encoder, batch_size=64, max_length=256):
    """Unit-length sentence embeddings (n, width): the mean of the token vectors."""
    encoder.eval()
    texts = list(texts)
    device = next(encoder.parameters()).device
    # similar lengths together: less padding
    order = np.argsort([len(t) for t in texts])
    out = np.zeros((len(texts), encoder.config.hidden_size), dtype=np.float32)
    for start in range(0, len(texts), batch_size):
        rows = order[start : start + batch_size]
        batch = tokenizer(
            [texts[i] for i in rows],
            padding=True,
            truncation=True,
            max_length=max_length,
            return_tensors="pt",
        ).to(device)
        pooled = mean_pool(encoder(**batch).last_hidden_state, batch["attention_mask"])
        out[rows] = to_numpy(F.normalize(pooled, dim=-1))
    return out
