"""The same arrays as a torch DataLoader and a tf.data.Dataset."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.data.adapters import to_tf_dataset, to_torch_loader

X = np.arange(10 * 28 * 28, dtype=np.int64).reshape(10, 28, 28).astype(np.uint8)
Y = np.arange(10) % 3


def test_torch_loader():
    pytest.importorskip("torch")
    loader = to_torch_loader(X, Y, batch_size=4)
    assert loader.num_workers == 0
    xb, yb = next(iter(loader))
    assert tuple(xb.shape) == (4, 1, 28, 28) and str(xb.dtype) == "torch.float32"
    assert float(xb.max()) <= 1.0 and yb.tolist() == [0, 1, 2, 0]
    a = [
        y.tolist()
        for _, y in to_torch_loader(
            X, np.arange(10), batch_size=10, shuffle=True, seed=3
        )
    ]
    b = [
        y.tolist()
        for _, y in to_torch_loader(
            X, np.arange(10), batch_size=10, shuffle=True, seed=3
        )
    ]
    assert a == b and sorted(a[0]) == list(range(10))
    with pytest.raises(TypeError, match="encode it first"):
        to_torch_loader(np.array(["text"], dtype=object), np.array([1]))
    with pytest.raises(ValueError, match="differ in length"):
        to_torch_loader(X, Y[:3])


def test_tf_dataset():
    pytest.importorskip("tensorflow")
    data = to_tf_dataset(X, Y, batch_size=4)
    xb, yb = next(iter(data))
    assert tuple(xb.shape) == (4, 28, 28, 1) and xb.dtype.name == "float32"
    assert yb.numpy().tolist() == [0, 1, 2, 0]
    texts = to_tf_dataset(
        np.array(["good", "bad"], dtype=object), np.array([1, 0]), batch_size=2
    )
    xb, _ = next(iter(texts))
    assert xb.numpy().tolist() == [b"good", b"bad"]
