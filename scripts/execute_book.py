"""Execute the book's notebooks into its execution cache; the client cannot stall.

    python scripts/execute_book.py                 # every notebook in _toc.yml
    python scripts/execute_book.py chapters/02_math.ipynb
    python scripts/execute_book.py --jobs 1        # one notebook at a time

``make book`` runs this before ``jupyter-book build``; the build then finds
every notebook in its cache (``_build/.jupyter_cache``, keyed on the code
cells) and executes nothing itself. A notebook whose code has not changed
since the last run is not executed again.

Why not let Jupyter Book execute them: its client (nbclient) can sleep for a
whole cell timeout — 900 s here — after a cell that captures output in an
``ipywidgets.Output``. nbclient emulates that widget by sending a ``comm_msg``
on the shell socket while it awaits the cell's reply on the same socket, and
that send can swallow the socket's edge-triggered wake-up; the client then
notices the reply only when its poll times out (jupyter/nbclient#312). The
client below asks the socket again every quarter of a second, so a missed
wake-up costs at most that. ``tests/test_execution_stall.py`` stresses it.
Everything here is public API: ``NotebookClient(km=...)``, the kernel
manager's ``client_factory``, the kernel client's channel classes and the
channel's ``get_msg``, and jupyter-cache's ``cache_notebook_bundle``.

The Chinese edition (``zh/``) is not executed a second time. Its notebooks have
the English code cells, except the set-up cell, which names the language. While
the English notebooks run, the helpers write down each message they show and each
label ``tr()`` gives, in both languages (``helpers/i18n.py``); the Chinese
notebook's outputs are then the English run's outputs with every line that is
exactly such a message replaced by its Chinese rendering, and its widgets' labels
translated. Numbers, figures and everything else are the same run's.
``tests/test_i18n_messages.py`` checks a derived notebook against one executed
in Chinese.

Notebooks run ``--jobs`` at a time (default: ``BOOK_JOBS``, else 2), each in its
own kernel. A chapter spends much of its time where one core suffices — imports,
Python loops, plotting, waiting on its kernel — so one notebook at a time kept
two cores about 108 % busy; two at a time finished four chapters (1, 2, 5, 7.3)
in 0.56 of the wall time for the same CPU time (median of two runs each, on two
cores).

Each kernel gets its share of the cores (``OMP_NUM_THREADS``: the cores divided
by ``--jobs``, unless it is set already), so that the kernels do not fight over
them. With two kernels of two threads each on two cores, one kernel's OpenMP
threads spin, waiting for a thread of theirs that the other kernel's work has
pushed off its core: a training step of chapter 4's small network, beside a
process that kept one core busy, took 6.4 ms with two threads and 2.0 ms with
one. One thread per kernel executed the whole book in 333 s instead of 405 s
and 414 s, in 636 CPU-seconds instead of 766 and 774; three notebooks at a time
then took 339 s, so two stay the default.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import html
import os
import sys
import time
from pathlib import Path
from queue import Empty

import nbformat
import yaml
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets import Type

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from optional_cells import missing_framework  # noqa: E402  (the test suite's own rule)
from toc import toc_entries  # noqa: E402

sys.path.insert(0, str(ROOT))
from helpers import i18n  # noqa: E402

EDITIONS = {"zh": "zh"}  # language → the folder of its book, under the English one
RECORD_NAME = "i18n-recorded.jsonl"  # in the build folder

POLL_SLICE = 0.25  # seconds: the longest a missed wake-up can delay the client


class PatientChannel(AsyncZMQSocketChannel):
    """A kernel channel that waits in short slices, asking the socket anew each time."""

    async def get_msg(self, timeout: float | None = None) -> dict:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = POLL_SLICE if deadline is None else deadline - time.monotonic()
            try:
                return await super().get_msg(
                    timeout=max(0.0, min(POLL_SLICE, remaining))
                )
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise


class PatientKernelClient(AsyncKernelClient):
    """An asynchronous kernel client whose shell and IOPub channels miss no message."""

    shell_channel_class = Type(PatientChannel)
    iopub_channel_class = Type(PatientChannel)


def _client(nb: nbformat.NotebookNode, **options) -> NotebookClient:
    kernel_name = nb.metadata.get("kernelspec", {}).get("name", "python3")
    manager = AsyncKernelManager(
        kernel_name=kernel_name, client_factory=PatientKernelClient
    )
    return NotebookClient(nb, km=manager, **options)


def execute_notebook(nb: nbformat.NotebookNode, **options) -> nbformat.NotebookNode:
    """Execute ``nb`` in place (nbclient, patient client); shut its kernel down after.

    ``options`` are ``NotebookClient``'s (``timeout``, ``allow_errors``,
    ``resources``, …).
    """
    # nbclient leaves a kernel it did not start running unless asked to clean it up.
    return _client(nb, **options).execute(cleanup_kc=True)


async def execute_notebook_async(
    nb: nbformat.NotebookNode, **options
) -> nbformat.NotebookNode:
    """:func:`execute_notebook` for an event loop that runs several at once."""
    return await _client(nb, **options).async_execute(cleanup_kc=True)


def book_notebooks(root: Path = ROOT) -> list[Path]:
    """The notebooks that ``_toc.yml`` lists, in its order."""
    names = toc_entries(root / "_toc.yml")
    return [
        root / f"{name}.ipynb" for name in names if (root / f"{name}.ipynb").exists()
    ]


def execution_timeout(root: Path = ROOT) -> int:
    """The per-cell timeout that ``_config.yml`` gives the book build."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    return int(config.get("execute", {}).get("timeout", 900))


def skip_missing_frameworks(nb: nbformat.NotebookNode) -> list[str]:
    """Tag ``skip-execution`` on cells whose optional framework is missing.

    ``skip-execution`` is nbclient's own tag. Returns one description per skipped
    cell. Cells tagged e.g. ``tensorflow`` run only where TensorFlow is installed, as
    under nbval (``tests/optional_cells.py``).
    """
    skipped = []
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code_cells):
        tags = cell.metadata.get("tags", [])
        missing = missing_framework(tags)
        if missing and "skip-execution" not in tags:
            cell.metadata["tags"] = [*tags, "skip-execution"]
            skipped.append(f"code cell {number} ({missing} is not installed)")
    return skipped


def edition_notebook(path: Path, language: str, root: Path = ROOT) -> Path | None:
    """The ``language`` edition of the English notebook ``path``, if there is one."""
    if not path.is_relative_to(root):
        return None
    candidate = root / EDITIONS[language] / path.relative_to(root)
    return candidate if candidate.exists() else None


def _translate_text(text: str, lines: dict[str, str]) -> str:
    for english, other in lines.items():
        if "\n" in english and english in text:  # a message whose lines did not pair
            text = text.replace(english, other)
    return "\n".join(lines.get(line, line) for line in text.split("\n"))


def translate_output(output: dict, lines: dict[str, str]) -> None:
    """Replace, in one nbformat output, each line that is exactly a recorded message."""
    if output.get("output_type") == "stream":
        output["text"] = _translate_text(output["text"], lines)
        return
    data = output.get("data", {})
    if "text/plain" in data:
        data["text/plain"] = _translate_text(data["text/plain"], lines)
    if "text/html" in data:  # a checker's coloured line: the message is a whole element
        page = data["text/html"]
        for english, other in lines.items():
            escaped = f">{html.escape(english)}<"
            if escaped in page:
                page = page.replace(escaped, f">{html.escape(other)}<")
        data["text/html"] = page


WIDGET_LABELS = ("description", "placeholder", "tooltip")


def translate_widgets(metadata: dict, lines: dict, labels: dict) -> None:
    """Translate the saved widgets' labels and the outputs they captured."""
    saved = metadata.get("widgets", {}).get(
        "application/vnd.jupyter.widget-state+json", {}
    )
    for model in saved.get("state", {}).values():
        state = model.get("state", {})
        for key in WIDGET_LABELS:
            value = state.get(key)
            if isinstance(value, str) and value:
                state[key] = labels.get(value, lines.get(value, value))
        for output in state.get("outputs", []) or []:
            translate_output(output, lines)


def derive_edition(
    executed: nbformat.NotebookNode, target: Path, lines: dict, labels: dict
) -> nbformat.NotebookNode:
    """The executed notebook of another edition, from the English run's outputs.

    ``target`` is that edition's notebook: its own text and code, with the English
    run's outputs translated (``lines``, ``labels``: English → its language).
    """
    nb = nbformat.read(target, as_version=4)
    ours = [cell for cell in nb.cells if cell.cell_type == "code"]
    theirs = [cell for cell in executed.cells if cell.cell_type == "code"]
    if [c.id for c in ours] != [c.id for c in theirs]:
        raise ValueError(
            f"{target}: its code cells are not the English notebook's: run `make i18n`"
        )
    for cell, ran in zip(ours, theirs, strict=True):
        cell.execution_count = ran.execution_count
        cell.outputs = copy.deepcopy(ran.outputs)
        for output in cell.outputs:
            translate_output(output, lines)
    own = nb.metadata
    nb.metadata = copy.deepcopy(executed.metadata)
    nb.metadata.update({k: v for k, v in own.items() if k != "widgets"})
    translate_widgets(nb.metadata, lines, labels)
    return nb


def cache_editions(path: Path, cache, build: Path) -> list[str]:
    """Cache the other editions of ``path`` from its cached English run."""
    done = []
    for language in EDITIONS:
        target = edition_notebook(path, language)
        if target is None or cached(target, cache):
            continue
        english = nbformat.read(path, as_version=4)
        _, executed = cache.merge_match_into_notebook(english)
        lines, labels = i18n.recorded_translations(build / RECORD_NAME, language)
        derived = derive_edition(executed, target, lines, labels)
        cache.cache_notebook_bundle(
            CacheBundleIn(derived, str(target), data={"derived_from": str(path)}),
            check_validity=False,
            overwrite=True,
        )
        done.append(language)
    return done


def cached(path: Path, cache) -> bool:
    """Whether the cache already holds the outputs of ``path``'s current code."""
    try:
        cache.match_cache_notebook(nbformat.read(path, as_version=4))
        return True
    except KeyError:
        return False


async def run_into_cache(path: Path, cache, timeout: int) -> str:
    """Execute one notebook and store its outputs in the cache; say what happened."""
    nb = nbformat.read(path, as_version=4)
    # Run a copy: the skip tags must not change the code the cache is keyed on.
    run = copy.deepcopy(nb)
    skipped = skip_missing_frameworks(run)
    start = time.perf_counter()
    # The same options as the book build's own executor (jupyter-cache), but the
    # patient client.
    await execute_notebook_async(
        run,
        timeout=timeout,
        allow_errors=False,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    seconds = time.perf_counter() - start
    for cell, ran in zip(nb.cells, run.cells, strict=True):
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = ran.outputs, ran.execution_count
    nb.metadata = run.metadata  # language_info and the widgets' state
    cache.cache_notebook_bundle(
        CacheBundleIn(nb, str(path), data={"execution_seconds": seconds}),
        check_validity=False,
        overwrite=True,
    )
    return f"executed in {seconds:.1f} s" + (
        f"; skipped {', '.join(skipped)}" if skipped else ""
    )


def execute_into_cache(path: Path, cache, timeout: int) -> str:
    """Execute one notebook unless the cache already holds its code; say which."""
    if cached(path, cache):
        return "cached"
    return asyncio.run(run_into_cache(path, cache, timeout))


async def execute_all(paths: list[Path], cache, timeout: int, jobs: int) -> int:
    """Execute the notebooks the cache lacks, ``jobs`` at a time; 1 on a failing cell.

    The first failure cancels the notebooks still running (their kernels are shut
    down) and is reported with the notebook and the cell.
    """
    slots = asyncio.Semaphore(jobs)

    build = Path(cache.path).parent

    def editions(path: Path) -> str:
        derived = cache_editions(path, cache, build)
        return f"; {', '.join(derived)} derived" if derived else ""

    async def one(path: Path) -> None:
        async with slots:
            outcome = await run_into_cache(path, cache, timeout)
        print(f"{shown(path)}: {outcome}{editions(path)}", flush=True)

    waiting = []
    for path in paths:
        if cached(path, cache):
            print(f"{shown(path)}: cached{editions(path)}", flush=True)
        else:
            waiting.append(path)
    tasks = {asyncio.ensure_future(one(path)): path for path in waiting}
    try:
        for finished in asyncio.as_completed(tasks):
            await finished
    except CellExecutionError as error:
        failed = next(p for t, p in tasks.items() if t.done() and t.exception())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        print(f"{shown(failed)}: FAILED", flush=True)
        print(
            f"error: a cell of {failed} raised an exception:\n{error}", file=sys.stderr
        )
        return 1
    return 0


def shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def default_jobs() -> int:
    """``BOOK_JOBS`` if set, else 2 (or 1 where this process may use one core)."""
    value = os.environ.get("BOOK_JOBS", "")
    if value.strip():
        try:
            jobs = int(value)
        except ValueError:
            jobs = 0
        if jobs < 1:
            raise SystemExit(
                f"error: BOOK_JOBS must be a whole number ≥ 1, got {value!r}"
            )
        return jobs
    return min(2, usable_cores())


def usable_cores() -> int:
    """The cores this process may run on (fewer than the machine's in a container
    limited to some of them)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no CPU affinity
        return os.cpu_count() or 1


def threads_per_kernel(jobs: int) -> int:
    """The cores this process may use, shared among ``jobs`` kernels (at least 1)."""
    return max(1, usable_cores() // jobs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="default: every notebook in _toc.yml"
    )
    parser.add_argument(
        "--build", type=Path, default=ROOT / "_build", help="the book's build folder"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="notebooks executed at once (default: BOOK_JOBS, else 2)",
    )
    args = parser.parse_args(argv)
    jobs = default_jobs() if args.jobs is None else args.jobs
    if jobs < 1:
        parser.error(f"--jobs must be at least 1, got {jobs}")
    notebooks = [path.resolve() for path in args.notebooks] or book_notebooks()
    for path in notebooks:
        if not path.exists():
            print(f"error: {path} does not exist", file=sys.stderr)
            return 2
    cache = get_cache(str(args.build / ".jupyter_cache"))
    # The kernels started from here write down the helpers' messages in every
    # language, for the other editions' outputs (helpers/i18n.py).
    os.environ[i18n.RECORD_ENV] = str((args.build / RECORD_NAME).resolve())
    # and share the cores out among themselves (see the top of this file)
    os.environ.setdefault("OMP_NUM_THREADS", str(threads_per_kernel(jobs)))
    return asyncio.run(execute_all(notebooks, cache, execution_timeout(), jobs))


if __name__ == "__main__":
    sys.exit(main())
