r"""Train the article's MNIST CNN with DistributedDataParallel, or in one plain process.

The same file runs both ways, unchanged::

    python scripts/train_mnist_ddp.py --out runs/single.pt
    torchrun --standalone --nproc_per_node 2 \
        scripts/train_mnist_ddp.py --out runs/ddp.pt

Under ``torchrun`` every process (rank) holds a full copy of the model and
trains on its own slice of each global batch (``DistributedSampler``); after
each backward pass DDP averages the gradients over the ranks, so every copy
takes the same optimiser step (Li et al. 2020, "PyTorch Distributed"). The
global batch is fixed (``--global-batch``) and split evenly over the ranks,
so with the same seed a run on N processes follows the single-process run up
to floating-point rounding: ``tests/test_ddp.py`` checks exactly that.

Back end: NCCL when CUDA is available (one GPU per rank), gloo on CPUs. Rank 0
evaluates on the test set and writes the weights and metrics to ``--out``
(a ``torch.save`` dict, plus the metrics as JSON beside it).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

# run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import data  # noqa: E402
from helpers.models import article_cnn  # noqa: E402  (taught in project 7.1)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="where to write weights + metrics (.pt)"
    )
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument(
        "--steps", type=int, default=None, help="stop after this many optimiser steps"
    )
    parser.add_argument(
        "--global-batch", type=int, default=64, help="examples per step over all ranks"
    )
    parser.add_argument(
        "--lr", type=float, default=1e-3, help="Adam's learning rate (Keras' default)"
    )
    parser.add_argument(
        "--n-train",
        type=int,
        default=None,
        help="stratified training subset (default: all)",
    )
    parser.add_argument(
        "--n-test", type=int, default=None, help="stratified test subset (default: all)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    args = parser.parse_args(argv)
    # 0 for --n-train would silently mean "all" below (`args.n_train or ...`): refuse
    # it here
    for name in ("epochs", "global_batch", "steps", "n_train", "n_test"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if args.seed < 0:
        parser.error(f"--seed must be a non-negative integer, got {args.seed}")
    if not (math.isfinite(args.lr) and args.lr > 0):
        parser.error(f"--lr must be a positive number, got {args.lr}")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error(
            "--device cuda was asked for, but no CUDA GPU is visible; "
            "use --device cpu or auto"
        )
    return args


def setup_distributed(device_choice: str) -> tuple[int, int, torch.device]:
    """Join the process group under torchrun; return (rank, world size, device)."""
    use_cuda = (
        torch.cuda.is_available()
        if device_choice == "auto"
        else device_choice == "cuda"
    )
    if "WORLD_SIZE" not in os.environ:  # plain `python script.py`
        return 0, 1, torch.device("cuda" if use_cuda else "cpu")
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if use_cuda:
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    device = torch.device("cuda", local_rank) if use_cuda else torch.device("cpu")
    return dist.get_rank(), dist.get_world_size(), device


def load_tensors(args, rank: int):
    """MNIST as float tensors in [0, 1], (n, 1, 28, 28).

    The training set is cut to whole global batches.
    """
    mnist = data.load_mnist(verbose=rank == 0)
    if args.n_train or args.n_test:
        mnist = data.subset(
            mnist,
            args.n_train or len(mnist.y_train),
            args.n_test or len(mnist.y_test),
            seed=args.seed,
        )
    keep = len(mnist.y_train) // args.global_batch * args.global_batch
    if keep == 0:
        raise SystemExit(
            f"--global-batch {args.global_batch} is larger than the training set "
            f"({len(mnist.y_train)})"
        )

    def as_tensors(x, y):
        return torch.from_numpy(x).float().div_(255).unsqueeze(1), torch.from_numpy(y)

    return (
        as_tensors(mnist.x_train[:keep], mnist.y_train[:keep]),
        as_tensors(mnist.x_test, mnist.y_test),
        mnist,
    )


def main(argv=None) -> dict:
    args = parse_args(argv)
    rank, world, device = setup_distributed(args.device)
    if args.global_batch % world:
        raise SystemExit(
            f"--global-batch {args.global_batch} must be divisible by the number of "
            f"processes ({world})"
        )
    (x_train, y_train), (x_test, y_test), mnist = load_tensors(args, rank)

    # the same initial weights on every rank (DDP also broadcasts rank 0's)
    torch.manual_seed(args.seed)
    model = article_cnn().to(device)
    if world > 1:
        model = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    # Each rank draws the same seeded permutation and takes every world-th index of it,
    # so the ranks' batches of step k together are exactly the single process's batch k.
    sampler = DistributedSampler(
        TensorDataset(x_train, y_train),
        num_replicas=world,
        rank=rank,
        shuffle=True,
        seed=args.seed,
        drop_last=True,
    )
    loader = DataLoader(
        TensorDataset(x_train, y_train),
        batch_size=args.global_batch // world,
        sampler=sampler,
    )

    steps, start, last_loss = 0, time.perf_counter(), float("nan")
    model.train()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            # mean over this rank's share; DDP averages over ranks
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            steps += 1
            last_loss = loss.item()
            if args.steps is not None and steps >= args.steps:
                break
        if args.steps is not None and steps >= args.steps:
            break
    seconds = time.perf_counter() - start

    metrics = {}
    if rank == 0:
        net = model.module if world > 1 else model
        net.eval()
        with torch.no_grad():
            logits = torch.cat(
                [
                    net(x_test[i : i + 1000].to(device))
                    for i in range(0, len(x_test), 1000)
                ]
            ).cpu()
        metrics = {
            "world_size": world,
            "backend": dist.get_backend() if world > 1 else "none",
            "device": str(device),
            "steps": steps,
            "global_batch": args.global_batch,
            "train_examples": len(y_train),
            "test_examples": len(y_test),
            "data_source": mnist.provenance.source,
            "data_records": mnist.provenance.records,
            "last_train_loss_rank0": last_loss,
            "test_loss": F.cross_entropy(logits, y_test).item(),
            "test_acc": (logits.argmax(1) == y_test).float().mean().item(),
            "seconds": seconds,
            "images_per_second": steps * args.global_batch / seconds,
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
        torch.save(
            {
                "state_dict": state,
                "metrics": metrics,
                "args": {k: str(v) for k, v in vars(args).items()},
            },
            args.out,
        )
        args.out.with_suffix(".json").write_text(json.dumps(metrics, indent=2))
        print(json.dumps(metrics))
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return metrics


if __name__ == "__main__":
    main()
