"""One way from a tensor to a numpy array, for every chapter and helper.

torch is not imported here: a tensor is recognised by what it can do, so the
function also accepts numpy arrays, lists and TensorFlow tensors unchanged.
"""

from __future__ import annotations

import numpy as np


def to_numpy(values) -> np.ndarray:
    """Return ``values`` as a numpy array, wherever it lives.

    Parameters
    ----------
    values : torch.Tensor, tf.Tensor, numpy.ndarray or sequence
        A torch tensor is detached from the autograd graph and copied from its
        device (GPU or CPU) first; a TensorFlow tensor is read with ``.numpy()``.

    Returns
    -------
    numpy.ndarray
        The same numbers, same dtype where numpy has it.
    """
    if hasattr(values, "detach"):  # torch.Tensor (maybe on a GPU, maybe requiring grad)
        return values.detach().cpu().numpy()
    if hasattr(values, "numpy") and not isinstance(values, np.ndarray):  # tf.Tensor
        return values.numpy()
    return np.asarray(values)
