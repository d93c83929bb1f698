"""Execute the book's notebooks into its execution cache; the client cannot stall.

    python scripts/execute_book.py                 # every notebook in _toc.yml
    python scripts/execute_book.py chapters/02_math.ipynb

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
"""

from __future__ import annotations

import argparse
import copy
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


def execute_notebook(nb: nbformat.NotebookNode, **options) -> nbformat.NotebookNode:
    """Execute ``nb`` in place (nbclient, patient client); shut its kernel down after.

    ``options`` are ``NotebookClient``'s (``timeout``, ``allow_errors``,
    ``resources``, …).
    """
    kernel_name = nb.metadata.get("kernelspec", {}).get("name", "python3")
    manager = AsyncKernelManager(
        kernel_name=kernel_name, client_factory=PatientKernelClient
    )
    # nbclient leaves a kernel it did not start running unless asked to clean it up.
    return NotebookClient(nb, km=manager, **options).execute(cleanup_kc=True)


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


def execute_into_cache(path: Path, cache, timeout: int) -> str:
    """Execute one notebook unless the cache already holds its code; say which."""
    nb = nbformat.read(path, as_version=4)
    try:
        cache.match_cache_notebook(nb)
        return "cached"
    except KeyError:
        pass
    # Run a copy: the skip tags must not change the code the cache is keyed on.
    run = copy.deepcopy(nb)
    skipped = skip_missing_frameworks(run)
    start = time.perf_counter()
    # The same options as the book build's own executor (jupyter-cache), but the
    # patient client.
    execute_notebook(
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="default: every notebook in _toc.yml"
    )
    parser.add_argument(
        "--build", type=Path, default=ROOT / "_build", help="the book's build folder"
    )
    args = parser.parse_args(argv)
    notebooks = [path.resolve() for path in args.notebooks] or book_notebooks()
    cache = get_cache(str(args.build / ".jupyter_cache"))
    timeout = execution_timeout()
    for path in notebooks:
        if not path.exists():
            print(f"error: {path} does not exist", file=sys.stderr)
            return 2
        print(
            f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: ",
            end="",
            flush=True,
        )
        try:
            print(execute_into_cache(path, cache, timeout), flush=True)
        except CellExecutionError as error:
            print("FAILED", flush=True)
            print(
                f"error: a cell of {path} raised an exception:\n{error}",
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
