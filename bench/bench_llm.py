"""Project 7.4's language model: generation speed by KV cache, batch size and precision.

    python -m bench llm                      # tables 1 and 2, llama.cpp if installed
    python bench/bench_llm.py --compile      # also try torch.compile (slow to compile)

Table 1, side by side in one run: greedy generation of the same chat prompt,
``--new-tokens`` new tokens, tokens per second (all sequences of a batch
counted) with and without the KV cache, for each batch size and precision
(float32; bfloat16; int8 dynamic quantisation of the linear layers, CPU only).

Table 2, batch 1 with the cache, what makes the course's own generation path
faster: thread count, bfloat16, 4-bit weights (``helpers.llm.quantize_int4``), a
static KV cache, ``torch.compile`` (with ``--compile``), beside llama.cpp on the
very GGUF file the model was loaded from, and the fastest of the course's rows
as a share of llama.cpp's fastest. The llama.cpp rows are skipped with a message
when ``llama-cpp-python`` is not installed: it has no wheel for most machines and
builds from source (``pip install llama-cpp-python``, several minutes), so it is
not part of the ordinary set-up.

Figures are wall-clock, best of ``--repeats`` runs, on whatever else the
machine is doing: run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import copy
import functools
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers import llm  # noqa: E402

PROMPT = "Write a short note to a customer whose order is late, and offer a discount."


def measure(model, ids, args, **kwargs) -> float:
    return llm.tokens_per_second(
        model, ids, new_tokens=args.new_tokens, repeats=args.repeats, **kwargs
    )


def int8_dynamic(model):
    import torch

    # torch.ao.quantization is deprecated in favour of torchao
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(
            copy.deepcopy(model), {torch.nn.Linear}, dtype=torch.qint8
        )


def table_cache_batch_precision(lm, ids, args) -> None:
    import torch

    models = {
        "float32": lm.model,
        "bfloat16": copy.deepcopy(lm.model).to(torch.bfloat16),
        "int8 dynamic": int8_dynamic(lm.model),
    }
    print(
        f"\nTable 1 · tokens/s, greedy, {args.new_tokens} new tokens, "
        f"{torch.get_num_threads()} threads, prompt {ids.shape[1]} tokens"
    )
    header = (
        f"{'precision':14s} {'batch':>5s} {'with cache':>11s} {'without':>9s} "
        f"{'ratio':>6s}"
    )
    print(header)
    print("-" * len(header))
    for name, model in models.items():
        for batch in args.batches:
            batch_ids = ids.repeat(batch, 1)
            cached = measure(model, batch_ids, args, use_cache=True)
            uncached = measure(model, batch_ids, args, use_cache=False)
            print(
                f"{name:14s} {batch:5d} {cached:11.1f} {uncached:9.1f} "
                f"{cached / uncached:6.2f}"
            )


def table_speedups(lm, ids, args) -> None:
    import torch

    threads = torch.get_num_threads()
    rows = []

    def row(label, fn):
        try:
            rows.append((label, fn()))
        except Exception as error:  # one failing option must not hide the others
            rows.append((label, f"failed: {type(error).__name__}: {str(error)[:80]}"))

    bf16 = copy.deepcopy(lm.model).to(torch.bfloat16)
    # made by its first row; where it cannot be made, each of its rows says why
    four_bit = functools.cache(lambda: llm.quantize_int4(lm.model))
    for n in sorted({1, threads}):
        torch.set_num_threads(n)
        row(f"float32, {n} thread(s)", lambda: measure(lm.model, ids, args))
        row(f"bfloat16, {n} thread(s)", lambda: measure(bf16, ids, args))
        row(
            f"4-bit weights (groups of 32), {n} thread(s)",
            lambda: measure(four_bit(), ids, args),
        )
    torch.set_num_threads(threads)
    row(
        "float32, static KV cache",
        lambda: measure(lm.model, ids, args, cache_implementation="static"),
    )
    row(
        "bfloat16, static KV cache",
        lambda: measure(bf16, ids, args, cache_implementation="static"),
    )
    if args.compile:
        compiled = copy.deepcopy(bf16)
        compiled.forward = torch.compile(compiled.forward, dynamic=False)
        start = time.perf_counter()
        measure(compiled, ids, args, cache_implementation="static")  # compiles
        print(f"(torch.compile warm-up took {time.perf_counter() - start:.0f} s)")
        row(
            "bfloat16, static cache, torch.compile",
            lambda: measure(compiled, ids, args, cache_implementation="static"),
        )
    rows += llama_cpp_rows(lm, args, threads)
    print(
        f"\nTable 2 · batch 1, with the KV cache, {args.new_tokens} new tokens "
        "(tokens/s)"
    )
    for label, value in rows:
        shown = f"{value:8.1f}" if isinstance(value, float) else f"  {value}"
        print(f"{label:46s} {shown}")
    ours = [(v, k) for k, v in rows if isinstance(v, float) and "llama" not in k]
    theirs = [(v, k) for k, v in rows if isinstance(v, float) and "llama" in k]
    if ours and theirs:
        (best, label), (reference, engine) = max(ours), max(theirs)
        print(
            f"\nthe course's fastest path ({label}): {best / reference:.0%} of "
            f"llama.cpp's best ({engine})"
        )


def llama_cpp_rows(lm, args, threads) -> list[tuple[str, float | str]]:
    """llama.cpp on the same GGUF file, in a child process.

    A crash inside the compiled extension must not take the bench down
    (llama-cpp-python 0.3.36, built from source, has been seen to die with a
    segmentation fault while loading this file); its row then says so.
    """
    import importlib.util
    import json
    import subprocess
    import sys

    if importlib.util.find_spec("llama_cpp") is None:
        return [
            (
                "llama.cpp (same GGUF file)",
                "skipped: llama-cpp-python is not installed "
                "(pip install llama-cpp-python builds it from source)",
            )
        ]
    text = lm.tokenizer.apply_chat_template(
        [{"role": "user", "content": PROMPT}],
        add_generation_prompt=True,
        tokenize=False,
    )
    rows = []
    for n in sorted({1, threads}):
        job = {
            "gguf": str(llm.gguf_path()),
            "threads": n,
            "text": text,
            "new_tokens": args.new_tokens,
            "repeats": args.repeats,
        }
        done = subprocess.run(
            [sys.executable, "-c", _LLAMA_CHILD, json.dumps(job)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            why = (
                done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
            )[-1]
            rows.append((f"llama.cpp Q4_1, {n} thread(s)", f"failed ({why})"))
        else:
            rows.append(
                (f"llama.cpp Q4_1, {n} thread(s)", float(done.stdout.split()[-1]))
            )
    return rows


_LLAMA_CHILD = """
import json, sys, time
from llama_cpp import Llama
job = json.loads(sys.argv[1])
engine = Llama(
    model_path=job["gguf"], n_threads=job["threads"], n_ctx=512, verbose=False, seed=0
)
best = 0.0
for _ in range(job["repeats"]):
    start = time.perf_counter()
    out = engine.create_completion(job["text"], max_tokens=job["new_tokens"],
                                   temperature=0.0)
    best = max(best, out["usage"]["completion_tokens"] / (time.perf_counter() - start))
print(best)
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--compile", action="store_true", help="also try torch.compile")
    args = parser.parse_args()
    lm = llm.load_model()
    ids = llm.chat_ids(lm.tokenizer, PROMPT)
    table_cache_batch_precision(lm, ids, args)
    table_speedups(lm, ids, args)


if __name__ == "__main__":
    main()
