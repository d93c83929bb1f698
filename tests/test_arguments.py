"""One wording for bad counts across helpers, and ``True`` is never a count."""

import numpy as np
import pytest
import torch

from helpers import arguments, recommend, runtime, train


@pytest.mark.parametrize("value", [1, 7, np.int64(3)])
def test_whole_numbers_at_or_above_the_minimum_pass_as_int(value):
    result = arguments.integer(value, "n")
    assert result == int(value) and type(result) is int


@pytest.mark.parametrize(("value", "minimum", "wanted"), [
    (0, 1, "n must be a positive integer, got 0"),
    (True, 1, "n must be a positive integer, got True"),
    (2.0, 1, "n must be a positive integer, got 2.0"),
    ("3", 1, "n must be a positive integer, got '3'"),
    (-1, 0, "n must be a non-negative integer, got -1"),
    (4, 5, "n must be an integer ≥ 5, got 4"),
])
def test_bad_values_are_named_with_what_was_wanted(value, minimum, wanted):
    with pytest.raises(ValueError) as error:
        arguments.integer(value, "n", minimum)
    assert str(error.value) == wanted


def test_the_helpers_share_it():
    x, y = torch.zeros(4, 2), torch.zeros(4, dtype=torch.long)
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got True"):
        train.TensorLoader(x, y, batch_size=True)  # accepted as a batch of one before
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        runtime.seed_everything(-1)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        recommend.popular_items(None, k=0)
