"""Text preprocessing shared by the projects: tokenising, a vocabulary, padding.

English tokens follow scikit-learn's ``CountVectorizer`` default pattern
(``\\b\\w\\w+\\b``, lower-cased) so a bag-of-words baseline and a neural model
see the same words. Chinese is split into characters by default (robust, no
dictionary), or into words with ``jieba`` when ``mode="words"`` (``pip
install jieba==0.42.1``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..arguments import choice, integer

TOKEN_PATTERN = r"(?u)\b\w\w+\b"
"""scikit-learn ``CountVectorizer``'s default ``token_pattern``."""
_EN = re.compile(TOKEN_PATTERN)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ZH_KEEP = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[A-Za-z]+|\d+")

PAD, UNK = "<pad>", "<unk>"


def _check_text(text) -> str:
    if not isinstance(text, str):
        raise TypeError(f"expected a string, got {type(text).__name__}")
    return text


def tokenize_en(text: str) -> list[str]:
    """Lower-cased English words of two or more characters
    (scikit-learn's default pattern).

    HTML line breaks (``<br />``, common in IMDB) are removed first.
    """
    text = _check_text(text).replace("<br />", " ").replace("<br/>", " ")
    return _EN.findall(text.lower())


def tokenize_zh(text: str, mode: str = "chars") -> list[str]:
    """Tokenise Chinese: ``chars`` (each Han character; Latin words and numbers kept
    whole) or ``words`` (jieba)."""
    text = _check_text(text)
    if mode == "chars":
        return [t.lower() for t in _ZH_KEEP.findall(text)]
    if mode == "words":
        try:
            import jieba
        except ImportError as error:
            raise ImportError(
                "mode='words' needs jieba: pip install jieba==0.42.1"
            ) from error
        jieba.setLogLevel(60)  # silence its start-up messages
        return [
            t.lower()
            for t in jieba.lcut(text)
            if t.strip() and (_HAN.search(t) or t.isalnum())
        ]
    raise ValueError(f"mode must be 'chars' or 'words', got {mode!r}")


def tokenize(text: str, language: str = "en") -> list[str]:
    """Dispatch to :func:`tokenize_en` or :func:`tokenize_zh`
    (``language`` ``en`` or ``zh``)."""
    if language == "en":
        return tokenize_en(text)
    if language == "zh":
        return tokenize_zh(text)
    raise ValueError(f"language must be 'en' or 'zh', got {language!r}")


@dataclass
class Vocabulary:
    """Token ↔ id map with padding (id 0) and unknown (id 1) tokens.

    Build it from the *training* texts only, so test words the model never saw
    map to ``<unk>`` as they would in production.
    """

    tokens: list[str] = field(default_factory=lambda: [PAD, UNK])

    def __post_init__(self):
        if self.tokens[:2] != [PAD, UNK]:
            raise ValueError("a vocabulary starts with <pad>, <unk>")
        self.index = {t: i for i, t in enumerate(self.tokens)}

    pad_id = 0
    unk_id = 1

    @classmethod
    def build(
        cls,
        token_lists: Iterable[Sequence[str]],
        max_size: int | None = None,
        min_freq: int = 1,
    ) -> Vocabulary:
        """Most frequent tokens first (ties in alphabetical order: deterministic).

        ``max_size`` counts ``<pad>`` and ``<unk>`` too, so it is at least 2.
        """
        if max_size is not None:
            max_size = integer(max_size, "max_size", minimum=2)
        min_freq = integer(min_freq, "min_freq")
        counts = Counter(t for tokens in token_lists for t in tokens)
        ranked = sorted(
            (t for t, c in counts.items() if c >= min_freq),
            key=lambda t: (-counts[t], t),
        )
        if max_size is not None:
            ranked = ranked[: max(0, max_size - 2)]
        return cls([PAD, UNK] + ranked)

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self.index

    def encode(self, tokens: Sequence[str]) -> list[int]:
        return [self.index.get(t, self.unk_id) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of ``ids``, padding dropped;
        an id outside ``0 … len(self) - 1`` is refused.

        (A negative id would otherwise count from the end of the list and
        return a wrong word without a sound.)
        """
        out = []
        for i in (
            np.asarray(ids if hasattr(ids, "__len__") else list(ids))
            .reshape(-1)
            .tolist()
        ):
            if (
                isinstance(i, bool)
                or not isinstance(i, int)
                or not 0 <= i < len(self.tokens)
            ):
                raise ValueError(
                    f"id {i!r} is not in this vocabulary (ids run from 0 to "
                    f"{len(self.tokens) - 1}); decode the ids with the vocabulary that "
                    "encoded them"
                )
            if i != self.pad_id:
                out.append(self.tokens[i])
        return out


def pad_sequences(
    sequences: Sequence[Sequence[int]],
    max_len: int | None = None,
    *,
    pad_id: int = 0,
    truncate: str = "post",
    padding: str = "post",
) -> tuple[np.ndarray, np.ndarray]:
    """Pad (or cut) id sequences to one length.

    Returns
    -------
    ids : int64 array (n, max_len)
    lengths : int64 array (n,), each sequence's true length after cutting,
        what ``torch.nn.utils.rnn.pack_padded_sequence`` needs (clamped to ≥ 1
        so an empty text still packs).
    """
    choice(truncate, "truncate", ("pre", "post"))
    choice(padding, "padding", ("pre", "post"))
    if isinstance(sequences, str | bytes):
        raise TypeError(
            "pad_sequences takes a list of id sequences, got one string; encode the "
            "texts first (helpers.data.encode_texts)"
        )
    if max_len is not None:
        max_len = integer(max_len, "max_len")
    if max_len is None:
        max_len = max((len(s) for s in sequences), default=1) or 1
    out = np.full((len(sequences), max_len), pad_id, dtype=np.int64)
    lengths = np.zeros(len(sequences), dtype=np.int64)
    for row, seq in enumerate(sequences):
        seq = list(seq)
        seq = seq[:max_len] if truncate == "post" else seq[-max_len:] if seq else seq
        n = len(seq)
        lengths[row] = n
        if n:
            if padding == "post":
                out[row, :n] = seq
            else:
                out[row, max_len - n :] = seq
    return out, np.maximum(lengths, 1)


def encode_texts(
    texts: Iterable[str],
    vocab: Vocabulary | None = None,
    *,
    language: str = "en",
    max_len: int = 200,
    max_size: int = 20000,
) -> tuple[np.ndarray, np.ndarray, Vocabulary]:
    """Tokenise, build (or reuse) a vocabulary, encode, pad: ``(ids, lengths, vocab)``.

    ``texts`` is a list (or array) of strings; one string alone is refused,
    since iterating it would encode each character as a text.
    """
    if isinstance(texts, str | bytes):
        raise TypeError(
            f"encode_texts takes a list of texts, got one string ({texts[:30]!r}…); "
            "wrap it in a list: encode_texts([text])"
        )
    max_len = integer(max_len, "max_len")
    max_size = integer(max_size, "max_size", minimum=2)
    token_lists = [tokenize(t, language) for t in texts]
    if vocab is None:
        vocab = Vocabulary.build(token_lists, max_size=max_size)
    ids, lengths = pad_sequences([vocab.encode(t) for t in token_lists], max_len)
    return ids, lengths, vocab


def pack(ids, lengths):
    """``torch.nn.utils.rnn.pack_padded_sequence`` for batch-first padded ids
    (torch imported here)."""
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence

    return pack_padded_sequence(
        torch.as_tensor(ids),
        torch.as_tensor(lengths),
        batch_first=True,
        enforce_sorted=False,
    )
