"""helpers.llm.quantize: 4-bit weights, in groups, for generation on a CPU."""

from __future__ import annotations

import types

import pytest
import torch

from helpers.llm import quantize


def _on_the_grid(rows: int, columns: int, group: int) -> torch.Tensor:
    """Weights that 4 bits in groups of ``group`` hold exactly, as a Q4_1 file's do:
    offset + scale · level, each group using its lowest and highest level."""
    draws = torch.Generator().manual_seed(0)
    levels = torch.randint(0, 16, (rows, columns // group, group), generator=draws)
    levels[..., 0], levels[..., 1] = 0, 15
    scale = 0.005 + 0.02 * torch.rand(rows, columns // group, 1, generator=draws)
    offset = 0.05 * torch.randn(rows, columns // group, 1, generator=draws)
    return (offset + scale * levels).reshape(rows, columns)


def _linear(weight: torch.Tensor, bias: bool = True) -> torch.nn.Linear:
    layer = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=bias)
    with torch.no_grad():
        layer.weight.copy_(weight)
    return layer


def _relative_error(model, quantized, x) -> float:
    with torch.no_grad():
        exact, approximate = model(x), quantized(x).float()
    return float((approximate - exact).norm() / exact.norm())


def test_weights_on_the_4_bit_grid_come_back_up_to_bfloat16_rounding():
    model = torch.nn.Sequential(_linear(_on_the_grid(64, 128, 32)))
    x = torch.randn(5, 128)
    # bfloat16 keeps 8 significant bits: its rounding alone is about 0.4 %
    assert _relative_error(model, quantize.quantize_int4(model), x) < 0.01


def test_smaller_groups_follow_ordinary_weights_more_closely():
    model = torch.nn.Sequential(_linear(torch.randn(64, 256) * 0.05))
    x = torch.randn(8, 256)
    errors = {
        g: _relative_error(model, quantize.quantize_int4(model, g), x)
        for g in (32, 256)
    }
    # 16 levels per group: a few per cent off, less with smaller groups
    assert 0.005 < errors[32] < errors[256] < 0.2


def test_the_model_is_copied_and_a_shared_weight_is_kept_for_the_embedding():
    class Tied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(16, 64)
            self.head = torch.nn.Linear(64, 16, bias=False)
            self.head.weight = self.embed.weight  # one tensor, as in SmolLM2

        def forward(self, ids):
            return self.head(self.embed(ids))

    model = Tied()
    before = model.embed.weight.detach().clone()
    quantized = quantize.quantize_int4(model)
    assert isinstance(model.head, torch.nn.Linear)  # the original is unchanged
    assert torch.equal(model.embed.weight, before)
    assert "4-bit weights in groups of 32" in repr(quantized.head)
    assert quantized.embed.weight.dtype == torch.bfloat16
    assert torch.equal(quantized.embed.weight, before.bfloat16())
    ids = torch.tensor([[1, 2, 3]])
    assert _relative_error(model, quantized, ids) < 0.05


@pytest.mark.parametrize(
    ("group_size", "message"),
    [
        (48, "group_size must be one of 32, 64, 128, 256, got 48"),
        (True, "group_size"),
        (64, "layer 0 has 96 inputs, not a multiple of group_size=64"),
    ],
)
def test_a_group_size_the_kernel_cannot_take_is_named(group_size, message):
    model = torch.nn.Sequential(torch.nn.Linear(96, 8))
    with pytest.raises(ValueError, match=message):
        quantize.quantize_int4(model, group_size)


def test_a_model_on_a_gpu_is_sent_to_bfloat16(monkeypatch):
    model = torch.nn.Sequential(torch.nn.Linear(32, 8))
    fake = types.SimpleNamespace(device=torch.device("cuda", 0))
    monkeypatch.setattr(model, "parameters", lambda: iter([fake]))
    with pytest.raises(ValueError, match="the model is on cuda: on a GPU"):
        quantize.quantize_int4(model)


def test_a_pytorch_without_the_kernel_says_so(monkeypatch):
    monkeypatch.setattr(torch.ops, "aten", types.SimpleNamespace())
    with pytest.raises(
        quantize.QuantizationUnavailable, match="no 4-bit matrix product"
    ):
        quantize.quantize_int4(torch.nn.Sequential(torch.nn.Linear(32, 8)))


def test_a_slice_of_a_batch_is_multiplied_like_a_copy_of_it():
    """Generation passes the last position of each sequence: not one dense block."""
    model = torch.nn.Sequential(_linear(_on_the_grid(16, 64, 32)))
    quantized = quantize.quantize_int4(model)
    hidden = torch.randn(3, 5, 64, dtype=torch.bfloat16)  # as between layers
    last = hidden[:, -1:, :]
    assert not last.is_contiguous()
    with torch.no_grad():
        assert torch.equal(quantized(last), quantized(last.contiguous()))
