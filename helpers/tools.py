"""Reading what experiment trackers write to disk (chapter 9).

TensorBoard and Weights & Biases both keep a run as plain files: TensorBoard
as protobuf *event files* in a log folder, W&B (in offline mode) as one
``run-ID.wandb`` file of protobuf records. The functions here read them back
into pandas tables, so a notebook can draw, compare and check what was logged.
Nothing here talks to a network.
"""

from __future__ import annotations

import itertools
import json
import math
import struct
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .arguments import number

# The .wandb file: a 7-byte header (":W&B", magic 0xBEE1, version 0), then records
# in the LevelDB log format: 32 KiB blocks, each record with a 7-byte header
# (CRC-32 of type + data, data length, type) and a FULL or FIRST/MIDDLE/LAST chunks.
WANDB_IDENT, WANDB_MAGIC, WANDB_VERSION = b":W&B", 0xBEE1, 0
BLOCK, HEADER = 32 * 1024, 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


class TrackerFileError(ValueError):
    """A tracker's file or folder is missing, empty, truncated or not what it claims."""


def tensorboard_scalars(log_dir: str | Path) -> pd.DataFrame:
    """Every scalar in a TensorBoard log folder, one row per logged value.

    Parameters
    ----------
    log_dir
        A folder whose sub-folders are runs (as ``tensorboard --logdir`` expects);
        event files directly inside it form a run named ``"."``.

    Returns
    -------
    pandas.DataFrame
        Columns ``run``, ``tag``, ``step``, ``value``, ``wall_time``, sorted.

    Raises
    ------
    TrackerFileError
        If the folder does not exist or holds no scalars.
    """
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    root = Path(log_dir)
    if not root.is_dir():
        raise TrackerFileError(
            f"{root} is not a folder: pass the log_dir the run wrote to"
        )
    rows = []
    for event_file in sorted(root.rglob("events.out.tfevents.*")):
        run = event_file.parent.relative_to(root).as_posix()
        events = EventAccumulator(str(event_file))
        events.Reload()
        for tag in events.Tags()["scalars"]:
            rows += [
                (run, tag, e.step, e.value, e.wall_time) for e in events.Scalars(tag)
            ]
    if not rows:
        raise TrackerFileError(
            f"no TensorBoard scalars under {root}: did the run call add_scalar?"
        )
    table = pd.DataFrame(rows, columns=["run", "tag", "step", "value", "wall_time"])
    return table.sort_values(["run", "tag", "step"], ignore_index=True)


def smooth(values: Sequence[float], weight: float) -> np.ndarray:
    """TensorBoard's "smoothing" slider: a debiased exponential moving average.

    ``weight`` 0 returns the values unchanged; near 1 it averages over about
    ``1 / (1 - weight)`` points. Debiasing divides by ``1 - weight**k`` so that
    the first points are not pulled towards zero (as TensorBoard does).

    Raises
    ------
    ValueError
        If ``weight`` is not a number in [0, 1).
    """
    weight = number(weight, "smoothing", low=0, high=1, high_open=True)
    values = np.asarray(values, dtype=float)
    out, last = np.empty_like(values), 0.0
    for k, value in enumerate(values, start=1):
        last = weight * last + (1 - weight) * value
        out[k - 1] = last / (1 - weight**k)
    return out


def plot_runs(
    scalars: pd.DataFrame,
    runs: Iterable[str],
    tag: str,
    smoothing: float = 0.0,
    log_scale: bool = False,
    ax=None,
):
    """Draw one tag of several runs, TensorBoard style: faint raw values, smooth lines.

    Raises
    ------
    ValueError
        With a sentence saying what to choose, when no run is chosen, a run or the tag
        is unknown, or ``smoothing`` is out of range.
    """
    import matplotlib.pyplot as plt

    runs = list(runs)
    if not runs:
        raise ValueError("choose at least one run to draw")
    unknown = sorted(set(runs) - set(scalars["run"]))
    if unknown:
        raise ValueError(
            f"unknown run(s) {unknown}; the log has {sorted(set(scalars['run']))}"
        )
    if tag not in set(scalars["tag"]):
        raise ValueError(
            f"unknown tag {tag!r}; the log has {sorted(set(scalars['tag']))}"
        )
    smooth([], smoothing)  # validates the weight before anything is drawn
    ax = ax if ax is not None else plt.subplots(figsize=(6.5, 3.6))[1]
    colours = itertools.cycle(plt.rcParams["axes.prop_cycle"].by_key()["color"])
    for run in runs:
        colour = next(colours)
        points = scalars[(scalars["run"] == run) & (scalars["tag"] == tag)]
        ax.plot(
            points["step"],
            points["value"],
            color=colour,
            alpha=0.25 if smoothing else 1,
        )
        if smoothing:
            ax.plot(
                points["step"],
                smooth(points["value"], smoothing),
                color=colour,
                label=run,
            )
        else:
            ax.lines[-1].set_label(run)
    ax.set(
        xlabel="step",
        ylabel=tag,
        yscale="log" if log_scale else "linear",
        title=f"{tag}" + (f" (smoothing {smoothing:g})" if smoothing else ""),
    )
    ax.legend(fontsize="small")
    return ax


def _wandb_chunks(raw: bytes, name: str):
    """Yield the data of each record in a .wandb file, checking every checksum."""
    if len(raw) < HEADER:
        raise TrackerFileError(
            f"{name} is shorter than the 7-byte header: not a finished .wandb file"
        )
    ident, magic, version = raw[:4], *struct.unpack("<HB", raw[4:7])
    if (ident, magic, version) != (WANDB_IDENT, WANDB_MAGIC, WANDB_VERSION):
        raise TrackerFileError(
            f"{name} does not start with the W&B header: not a .wandb file"
        )
    position, pieces = HEADER, []
    while position < len(raw):
        left_in_block = BLOCK - position % BLOCK
        if left_in_block < HEADER:  # the writer pads the tail of a block with zeros
            position += left_in_block
            continue
        if position + HEADER > len(raw):
            raise TrackerFileError(
                f"{name} ends inside a record header (truncated at byte {position})"
            )
        checksum, length, kind = struct.unpack(
            "<IHB", raw[position : position + HEADER]
        )
        data = raw[position + HEADER : position + HEADER + length]
        # zero padding at the end of the file
        if kind == 0 and length == 0 and checksum == 0:
            break
        if len(data) < length or kind not in (FULL, FIRST, MIDDLE, LAST):
            raise TrackerFileError(f"{name} is truncated or damaged at byte {position}")
        if zlib.crc32(data, zlib.crc32(bytes([kind]))) & 0xFFFFFFFF != checksum:
            raise TrackerFileError(
                f"{name}: checksum mismatch at byte {position} (damaged file)"
            )
        position += HEADER + length
        pieces.append(data)
        if kind in (FULL, LAST):
            yield b"".join(pieces)
            pieces = []


def read_wandb_records(path: str | Path) -> list:
    """The records of an offline W&B run file (``run-ID.wandb``), as protobuf messages.

    Each record's ``WhichOneof("record_type")`` says what it is: ``run``,
    ``environment``, ``history``, ``summary``, ``telemetry``, ``files``, ``exit``, ….

    Raises
    ------
    TrackerFileError
        If the file is missing, is not a .wandb file, or is truncated or damaged.
    """
    from wandb.proto import wandb_internal_pb2

    path = Path(path)
    if not path.is_file():
        raise TrackerFileError(
            f"{path} does not exist: pass the run-ID.wandb file of a finished run"
        )
    records = []
    for data in _wandb_chunks(path.read_bytes(), path.name):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(data)
        records.append(record)
    return records


def _item_key(item) -> str:
    return ".".join(item.nested_key) if item.nested_key else item.key


def wandb_history(records) -> pd.DataFrame:
    """The rows ``wandb.log`` wrote, one per call, from :func:`read_wandb_records`."""
    rows = [
        {_item_key(i): json.loads(i.value_json) for i in r.history.item}
        for r in records
        if r.WhichOneof("record_type") == "history"
    ]
    table = pd.DataFrame(rows)
    return table.set_index("_step").sort_index() if "_step" in table else table


def wandb_summary(records) -> dict:
    """The run's final summary ({key: last value}) from :func:`read_wandb_records`."""
    summary = {}
    for record in records:
        if record.WhichOneof("record_type") == "summary":
            summary.update(
                {_item_key(u): json.loads(u.value_json) for u in record.summary.update}
            )
    return {
        k: v for k, v in summary.items() if not (isinstance(v, float) and math.isnan(v))
    }
