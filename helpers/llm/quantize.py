"""4-bit weights for generation on a CPU: the model's linear layers, weight-only.

Generating one token reads every weight of the model once, so on a CPU the speed
of generation is mostly the speed of reading the weights from memory. Stored in
4 bits instead of 32, they are read eight times faster; the arithmetic stays in
bfloat16. Each group of ``group_size`` consecutive weights of a row (along the
input) gets its own scale and offset, as in the GGUF file's ``Q4_1`` blocks of
32: a weight is ``offset + scale · q`` with ``q`` in 0…15.

The model loaded from that GGUF file was de-quantised from exactly such blocks,
so quantising it again with groups of 32 gives back the same values, up to the
bfloat16 rounding of scale and offset. A model from the hub (bfloat16 weights) is
really rounded to 16 levels per group; measure what that costs (perplexity)
before relying on it.

The matrix product is PyTorch's own CPU kernel for this format
(``torch.ops.aten._weight_int4pack_mm_for_cpu``, with
``_convert_weight_to_int4pack_for_cpu`` to lay the weights out). These operators
have no public Python API: the public route, torchao, keeps its CPU layout for
them among its prototypes (``Int4OpaqueTensor``, torchao 0.18; the split of the
CPU kernel: pytorch/pytorch#139611, pytorch/ao#1117). :func:`quantize_int4` checks
that both operators exist and says so when they do not.
"""

from __future__ import annotations

import copy

import torch

from ..arguments import integer
from ..i18n import Message

GROUP_SIZES = (32, 64, 128, 256)
"""Group sizes the CPU kernel accepts."""


class QuantizationUnavailable(RuntimeError):
    """This PyTorch cannot store weights in 4 bits; the message says why."""


def _check_kernel() -> None:
    """Raise :class:`QuantizationUnavailable` unless PyTorch has both int4 operators
    for the CPU."""
    try:
        for name in (
            "_convert_weight_to_int4pack_for_cpu",
            "_weight_int4pack_mm_for_cpu",
        ):
            getattr(torch.ops.aten, name)
    except (AttributeError, RuntimeError):
        raise QuantizationUnavailable(
            Message(
                "this PyTorch ({version}) has no 4-bit matrix product for the CPU "
                "(torch.ops.aten._weight_int4pack_mm_for_cpu, PyTorch 2.6 and later): "
                "generate with the bfloat16 or float32 model instead",
                version=torch.__version__,
            )
        ) from None


class Int4Linear(torch.nn.Module):
    """``nn.Linear`` with 4-bit weights in groups along the input; bfloat16 out."""

    def __init__(self, linear: torch.nn.Linear, group_size: int):
        super().__init__()
        weight = linear.weight.detach().float()
        rows, columns = weight.shape
        groups = weight.reshape(rows, columns // group_size, group_size)
        low, high = groups.amin(-1), groups.amax(-1)
        scale = ((high - low) / 15).clamp(min=1e-8)  # 16 levels from low to high
        levels = torch.round((groups - low[..., None]) / scale[..., None])
        levels = levels.clamp(0, 15).to(torch.int32).reshape(rows, columns)
        # The kernel's convention: weight = (level - 8) · scale + zero, so the
        # zero it stores is the value of level 8.
        zero = low + 8 * scale
        # 8: the kernel's tiling
        packed = torch.ops.aten._convert_weight_to_int4pack_for_cpu(levels, 8)
        self.register_buffer("packed", packed)
        self.register_buffer(
            "scale_and_zero",
            torch.stack([scale, zero], -1).transpose(0, 1).contiguous().bfloat16(),
        )
        self.bias = (
            None
            if linear.bias is None
            else torch.nn.Parameter(
                linear.bias.detach().bfloat16(), requires_grad=False
            )
        )
        self.in_features, self.out_features = columns, rows
        self.group_size = group_size

    def forward(self, x):
        # the kernel reads its input as one dense block (a slice such as the
        # last position of each sequence is not)
        flat = x.reshape(-1, self.in_features).to(torch.bfloat16).contiguous()
        y = torch.ops.aten._weight_int4pack_mm_for_cpu(
            flat, self.packed, self.group_size, self.scale_and_zero
        )
        y = y.reshape(*x.shape[:-1], self.out_features)
        return y if self.bias is None else y + self.bias

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"4-bit weights in groups of {self.group_size}"
        )


def quantize_int4(model, group_size: int = 32):
    """A copy of ``model`` in bfloat16 whose linear layers keep 4-bit weights (CPU).

    Parameters
    ----------
    model
        A ``torch.nn.Module`` on the CPU, e.g. ``lm.model``; it is not changed.
        An output layer that shares its weights with the token embedding (as
        SmolLM2's does) gets its own 4-bit copy; the embedding stays bfloat16.
    group_size
        Weights per scale and offset, one of :data:`GROUP_SIZES`: smaller groups
        follow the weights more closely and cost a little more memory.

    Raises
    ------
    ValueError
        For a group size the kernel does not take, a layer whose number of inputs
        is not a multiple of it, or a model that is not on the CPU.
    QuantizationUnavailable
        When this PyTorch lacks the 4-bit CPU kernel.
    """
    group_size = integer(group_size, "group_size")
    if group_size not in GROUP_SIZES:
        raise ValueError(
            Message(
                "group_size must be one of {sizes}, got {size}",
                sizes=", ".join(map(str, GROUP_SIZES)),
                size=group_size,
            )
        )
    devices = {p.device.type for p in model.parameters()}
    if devices - {"cpu"}:
        raise ValueError(
            Message(
                "4-bit weights here are for the CPU, but the model is on {devices}: "
                "on a GPU, generate in bfloat16 instead",
                devices=", ".join(sorted(devices - {"cpu"})),
            )
        )
    # every check before the model is copied
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Linear) and module.in_features % group_size:
            raise ValueError(
                Message(
                    "layer {name} has {inputs} inputs, not a multiple of "
                    "group_size={size}: choose a group size that divides it",
                    name=name,
                    inputs=module.in_features,
                    size=group_size,
                )
            )
    _check_kernel()
    quantized = copy.deepcopy(model).to(torch.bfloat16)
    linears = [
        (parent, name, child)
        for parent in quantized.modules()
        for name, child in parent.named_children()
        if isinstance(child, torch.nn.Linear)
    ]
    for parent, name, child in linears:
        # a shared (tied) weight is copied, so the embedding keeps its own
        setattr(parent, name, Int4Linear(child, group_size))
    return quantized
