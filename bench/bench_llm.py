"""Project 7.4's language model: generation speed by KV cache, batch size and precision.

    python -m bench llm                      # tables 1 and 2, llama.cpp if installed
    python bench/bench_llm.py --compile      # also try torch.compile (slow to compile)

Table 1, side by side in one run: greedy generation of the same chat prompt,
``--new-tokens`` new tokens, tokens per second (all sequences of a batch
counted) with and without the KV cache, for each batch size and precision
(float32; bfloat16; int8 dynamic quantisation of the linear layers, CPU only).

Table 2, batch 1 with the cache, what makes the course's own generation path
faster: thread count, bfloat16, 4-bit weights (``helpers.llm.quantize_int4``), a
static KV cache, ``torch.compile`` (with ``--compile``: of the bfloat16 and the
4-bit model), beside llama.cpp on the very GGUF file the model was loaded from.
The llama.cpp rows are skipped with a message when ``llama-cpp-python`` is not
installed: it has no wheel for most machines and builds from source
(``pip install llama-cpp-python``, several minutes), so it is not part of the
ordinary set-up.

Then the course's fastest row against llama.cpp's fastest, head to head: the two
are timed in turn, ``--rounds`` times, and the share is the median of the
round-by-round ratios. A machine whose speed drifts (a shared or a throttled
one) moves both figures of a round alike, so the share holds where the table's
absolute figures, taken minutes apart, would not.

Figures are wall-clock, best of ``--repeats`` runs, on whatever else the
machine is doing: run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import copy
import functools
import statistics
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
    bf16 = copy.deepcopy(lm.model).to(torch.bfloat16)
    # made on first use; where it cannot be made, each of its rows says why
    four_bit = functools.cache(lambda: llm.quantize_int4(lm.model))
    static = {"cache_implementation": "static"}
    # label → (threads, the model (made when first asked for), generate options)
    runs = {}
    for n in sorted({1, threads}):
        runs[f"float32, {n} thread(s)"] = (n, lambda: lm.model, {})
        runs[f"bfloat16, {n} thread(s)"] = (n, lambda: bf16, {})
        runs[f"4-bit weights (groups of 32), {n} thread(s)"] = (n, four_bit, {})
    runs["float32, static KV cache"] = (threads, lambda: lm.model, static)
    runs["bfloat16, static KV cache"] = (threads, lambda: bf16, static)
    if args.compile:
        for name, model in (("bfloat16", lambda: bf16), ("4-bit weights", four_bit)):
            runs[f"{name}, static cache, torch.compile"] = (
                threads,
                functools.cache(lambda model=model: compiled(model(), ids, args)),
                static,
            )

    def speed(label: str) -> float:
        n, model, options = runs[label]
        torch.set_num_threads(n)
        try:
            return measure(model(), ids, args, **options)
        finally:
            torch.set_num_threads(threads)

    rows = []
    for label in runs:
        try:
            rows.append((label, speed(label)))
        except Exception as error:  # one failing option must not hide the others
            rows.append((label, f"failed: {type(error).__name__}: {str(error)[:80]}"))
    engine = LlamaCpp(lm, args)
    rows += engine.rows(sorted({1, threads}))
    print(
        f"\nTable 2 · batch 1, with the KV cache, {args.new_tokens} new tokens "
        "(tokens/s)"
    )
    for label, value in rows:
        shown = f"{value:8.1f}" if isinstance(value, float) else f"  {value}"
        print(f"{label:46s} {shown}")
    ours = [(v, k) for k, v in rows if isinstance(v, float) and k in runs]
    theirs = [(v, n) for n, v in engine.measured.items()]
    if ours and theirs:
        head_to_head(max(ours)[1], speed, max(theirs)[1], engine, args.rounds)


def compiled(model, ids, args):
    """A copy of ``model`` whose forward pass is compiled (``torch.compile``), warmed
    up: the first generation compiles, which takes long; it is timed and said."""
    import torch

    model = copy.deepcopy(model)
    model.forward = torch.compile(model.forward, dynamic=False)
    start = time.perf_counter()
    measure(model, ids, args, cache_implementation="static")
    print(f"(torch.compile warm-up: {time.perf_counter() - start:.0f} s)", flush=True)
    return model


def head_to_head(label, speed, threads, engine, rounds: int) -> None:
    """The course's fastest row (``label``) and llama.cpp's fastest (on ``threads``
    threads), timed in turn ``rounds`` times; print the median of the round-by-round
    shares."""
    shares = [speed(label) / engine.speed(threads) for _ in range(rounds)]
    print(
        f"\nhead to head, {rounds} rounds: the course's fastest path ({label}) at "
        f"{statistics.median(shares):.0%} of llama.cpp's best "
        f"({engine.label(threads)}); each round: "
        + ", ".join(f"{share:.0%}" for share in shares)
    )


class LlamaCpp:
    """llama.cpp on the same GGUF file, each measurement in a child process.

    A crash inside the compiled extension must not take the bench down
    (llama-cpp-python 0.3.36, built from source, has been seen to die with a
    segmentation fault while loading this file); its row then says so.
    """

    def __init__(self, lm, args):
        self.args = args
        self.text = lm.tokenizer.apply_chat_template(
            [{"role": "user", "content": PROMPT}],
            add_generation_prompt=True,
            tokenize=False,
        )
        self.measured: dict[int, float] = {}  # threads → its row's figure, if any

    @staticmethod
    def label(threads: int) -> str:
        return f"llama.cpp Q4_1, {threads} thread(s)"

    def speed(self, threads: int) -> float:
        """Tokens per second, best of ``--repeats``; RuntimeError saying why not."""
        import json
        import subprocess

        job = {
            "gguf": str(llm.gguf_path()),
            "threads": threads,
            "text": self.text,
            "new_tokens": self.args.new_tokens,
            "repeats": self.args.repeats,
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
            raise RuntimeError(why)
        return float(done.stdout.split()[-1])

    def rows(self, thread_counts) -> list[tuple[str, float | str]]:
        import importlib.util

        if importlib.util.find_spec("llama_cpp") is None:
            return [
                (
                    "llama.cpp (same GGUF file)",
                    "skipped: llama-cpp-python is not installed "
                    "(pip install llama-cpp-python builds it from source)",
                )
            ]
        rows = []
        for n in thread_counts:
            try:
                self.measured[n] = self.speed(n)
                rows.append((self.label(n), self.measured[n]))
            except RuntimeError as error:
                rows.append((self.label(n), f"failed ({error})"))
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
    parser.add_argument(
        "--rounds", type=int, default=5, help="head-to-head rounds with llama.cpp"
    )
    parser.add_argument("--compile", action="store_true", help="also try torch.compile")
    args = parser.parse_args()
    lm = llm.load_model()
    ids = llm.chat_ids(lm.tokenizer, PROMPT)
    table_cache_batch_precision(lm, ids, args)
    table_speedups(lm, ids, args)


if __name__ == "__main__":
    main()
