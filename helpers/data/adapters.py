"""The same arrays as a PyTorch ``DataLoader`` or a ``tf.data.Dataset``.

Both frameworks are imported inside the functions, so a chapter that uses
only one never loads the other.
"""

from __future__ import annotations

import numpy as np


def _as_float_images(x: np.ndarray, scale: bool) -> np.ndarray:
    if scale and x.dtype == np.uint8:
        return (
            (x.astype(np.float32) / 255.0)[:, None, :, :]
            if x.ndim == 3
            else x.astype(np.float32) / 255.0
        )
    return x


def to_torch_loader(
    x,
    y,
    *,
    batch_size: int = 64,
    shuffle: bool = False,
    seed: int = 0,
    scale: bool = True,
    num_workers: int = 0,
    drop_last: bool = False,
):
    """Wrap arrays in a ``torch.utils.data.DataLoader`` of ``(x, y)`` batches.

    Parameters
    ----------
    x, y
        Arrays of equal length. uint8 images (n, 28, 28) become float32
        (n, 1, 28, 28) in [0, 1] when ``scale``; integer arrays (token ids)
        stay int64.
    shuffle, seed
        Shuffling uses its own ``torch.Generator`` seeded with ``seed``, so the
        order is reproducible and independent of the global seed.
    num_workers
        0 by default: worker processes hang in some notebook set-ups and buy
        nothing for in-memory arrays.
    """
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from ..arguments import integer

    batch_size = integer(batch_size, "batch_size")
    num_workers = integer(num_workers, "num_workers", minimum=0)
    x = np.asarray(x)
    y = np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x and y differ in length: {len(x)} vs {len(y)}")
    if x.dtype == object:
        raise TypeError(
            "x holds Python objects (text?): encode it first, e.g. with "
            "helpers.data.encode_texts"
        )
    x = _as_float_images(x, scale)
    tensors = [
        torch.from_numpy(np.ascontiguousarray(x)),
        torch.from_numpy(np.ascontiguousarray(y)),
    ]
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(
        TensorDataset(*tensors),
        batch_size=batch_size,
        shuffle=shuffle,
        generator=generator,
        num_workers=num_workers,
        drop_last=drop_last,
    )


def to_tf_dataset(
    x,
    y,
    *,
    batch_size: int = 64,
    shuffle: bool = False,
    seed: int = 0,
    scale: bool = True,
    channels_last: bool = True,
):
    """Wrap arrays in a batched ``tf.data.Dataset`` of ``(x, y)``.

    uint8 images become float32 (n, 28, 28, 1) in [0, 1] when ``scale``
    (Keras' channels-last layout). Text must be encoded to ids first, or passed
    as strings for a ``TextVectorization`` layer (object arrays become ``tf.string``).
    """
    import tensorflow as tf

    from ..arguments import integer

    batch_size = integer(batch_size, "batch_size")
    x = np.asarray(x)
    y = np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x and y differ in length: {len(x)} vs {len(y)}")
    if x.dtype == object:
        x = x.astype(str)
    elif scale and x.dtype == np.uint8:
        x = x.astype(np.float32) / 255.0
        if x.ndim == 3 and channels_last:
            x = x[..., None]
    data = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        data = data.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return data.batch(batch_size).prefetch(tf.data.AUTOTUNE)
