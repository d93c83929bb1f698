"""Checked prompts, sampling, streaming,
perplexity and speed for a causal language model.

Every public function takes a :class:`~helpers.llm.loader.LanguageModel`
(``lm.model``, ``lm.tokenizer``). Bad input — an empty prompt, a prompt longer
than the context window, an absurd ``max_new_tokens`` or temperature — raises
:class:`InvalidPrompt` with a sentence saying what to change;
:func:`safe_reply` turns that sentence into the answer, for widgets.
"""

from __future__ import annotations

import io
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from ..arguments import integer, number
from ..i18n import Message, error_text

MAX_NEW_TOKENS = 1024
"""More new tokens than this in one call is refused:
on a CPU it would run for minutes."""
MAX_TEMPERATURE = 5.0
SYSTEM_PROMPT = "You are a helpful assistant."


class InvalidPrompt(ValueError):
    """The prompt or a sampling setting cannot be used;
    the message says what to change."""


def check_prompt(prompt) -> str:
    """Return the prompt stripped of surrounding white space,
    or raise :class:`InvalidPrompt`."""
    if not isinstance(prompt, str):
        raise InvalidPrompt(
            Message(
                "the prompt must be text (a string), got {kind}",
                kind=type(prompt).__name__,
            )
        )
    prompt = prompt.strip()
    if not prompt:
        raise InvalidPrompt(
            Message("the prompt is empty: type a question or the start of a text")
        )
    if all(unicodedata.category(c) in ("Cc", "Cf") or c.isspace() for c in prompt):
        raise InvalidPrompt(
            Message(
                "the prompt has no visible character (only control or zero-width "
                "characters): type a question or the start of a text"
            )
        )
    return prompt


def check_sampling(
    *, max_new_tokens=32, temperature=0.0, top_p=1.0, top_k=0, repetition_penalty=1.0
) -> dict:
    """Validate generation settings and return them as ``generate`` keyword arguments.

    ``temperature=0`` means greedy decoding (the most probable token each step).

    Raises
    ------
    InvalidPrompt
        For a value outside its sensible range, naming the range.
    """
    try:
        max_new_tokens = integer(max_new_tokens, "max_new_tokens")
        temperature = number(temperature, "temperature", low=0, high=MAX_TEMPERATURE)
        top_p = number(top_p, "top_p", low=0, high=1, low_open=True)
        top_k = integer(top_k, "top_k", minimum=0)
        repetition_penalty = number(
            repetition_penalty, "repetition_penalty", low=0, high=10, low_open=True
        )
    except ValueError as error:
        raise InvalidPrompt(error_text(error)) from None
    if max_new_tokens > MAX_NEW_TOKENS:
        raise InvalidPrompt(
            Message(
                "max_new_tokens={asked:,} is too many for one call: ask for at most "
                "{most:,}",
                asked=max_new_tokens,
                most=MAX_NEW_TOKENS,
            )
        )
    settings = {
        "max_new_tokens": max_new_tokens,
        "repetition_penalty": repetition_penalty,
        "do_sample": temperature > 0,
    }
    if temperature > 0:
        settings.update(temperature=temperature, top_p=top_p, top_k=top_k)
    else:  # greedy: make sure the model's own defaults do not switch sampling back on
        settings.update(temperature=None, top_p=None, top_k=None)
    return settings


def chat_ids(tokenizer, prompt: str, system: str | None = SYSTEM_PROMPT):
    """Token ids (1 × n tensor) of ``prompt`` wrapped in the model's chat template.

    ``apply_chat_template`` returns a dict here; the ids are its ``input_ids``.
    """
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": prompt})
    encoded = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_dict=True, return_tensors="pt"
    )
    return encoded["input_ids"]


def prompt_ids(
    lm,
    prompt,
    *,
    chat: bool = True,
    max_new_tokens: int = 32,
    system: str | None = SYSTEM_PROMPT,
):
    """Check ``prompt`` and return its ids;
    refuse it if it leaves no room in the context window."""
    prompt = check_prompt(prompt)
    if chat:
        ids = chat_ids(lm.tokenizer, prompt, system)
    else:
        ids = lm.tokenizer(prompt, return_tensors="pt")["input_ids"]
    window = lm.context_window
    if ids.shape[1] + max_new_tokens > window:
        raise InvalidPrompt(
            Message(
                "the prompt is {prompt:,} tokens and {new:,} new tokens were "
                "asked for, but the model reads at most {window:,} tokens: shorten "
                "the prompt",
                prompt=ids.shape[1],
                new=max_new_tokens,
                window=window,
            )
        )
    return ids.to(lm.model.device)


def generate(
    lm,
    prompt,
    *,
    chat: bool = True,
    system: str | None = SYSTEM_PROMPT,
    seed: int | None = 0,
    on_text: Callable[[str], None] | None = None,
    use_cache: bool = True,
    **settings,
) -> str:
    """Continue ``prompt`` (or answer it, with ``chat=True``); return only the new text.

    Parameters
    ----------
    lm
        A loaded :class:`~helpers.llm.loader.LanguageModel`.
    settings
        ``max_new_tokens``, ``temperature`` (0 = greedy), ``top_p``, ``top_k``,
        ``repetition_penalty``; see :func:`check_sampling`.
    seed
        Seeds torch before sampling, so a run can be repeated (``None``: do not seed).
    on_text
        Called with each new piece of text as soon as it is decoded (streaming).
    """
    import torch

    kwargs = check_sampling(**settings)
    ids = prompt_ids(
        lm, prompt, chat=chat, system=system, max_new_tokens=kwargs["max_new_tokens"]
    )
    streamer = _CallbackStreamer(lm.tokenizer, on_text) if on_text else None
    if seed is not None:
        torch.manual_seed(seed)
    with torch.inference_mode():
        out = lm.model.generate(
            ids,
            attention_mask=torch.ones_like(ids),
            streamer=streamer,
            pad_token_id=lm.tokenizer.pad_token_id,
            use_cache=use_cache,
            **kwargs,
        )
    return lm.tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True).strip()


def generate_batch(
    lm,
    prompts: list[str],
    *,
    system: str | None = SYSTEM_PROMPT,
    max_new_tokens: int = 32,
) -> list[str]:
    """Greedy answers to several chat prompts in one padded batch
    (much faster than one by one)."""
    import torch

    if not prompts:
        raise InvalidPrompt(Message("no prompts were given"))
    kwargs = check_sampling(max_new_tokens=max_new_tokens)
    texts = []
    for prompt in prompts:
        messages = [{"role": "system", "content": system}] if system else []
        messages.append({"role": "user", "content": check_prompt(prompt)})
        texts.append(
            lm.tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, tokenize=False
            )
        )
    tokenizer = lm.tokenizer
    # new tokens line up on the right
    side, tokenizer.padding_side = tokenizer.padding_side, "left"
    try:
        batch = tokenizer(
            texts, return_tensors="pt", padding=True, add_special_tokens=False
        )
        batch = batch.to(lm.model.device)
    finally:
        tokenizer.padding_side = side
    if batch["input_ids"].shape[1] + kwargs["max_new_tokens"] > lm.context_window:
        raise InvalidPrompt(
            Message(
                "a prompt is longer than the {window:,}-token context window: "
                "shorten it",
                window=lm.context_window,
            )
        )
    with torch.inference_mode():
        out = lm.model.generate(**batch, pad_token_id=tokenizer.pad_token_id, **kwargs)
    new = out[:, batch["input_ids"].shape[1] :]
    return [t.strip() for t in tokenizer.batch_decode(new, skip_special_tokens=True)]


@dataclass
class Reply:
    """What :func:`safe_reply` returns: the text, or
    (``ok=False``) what was wrong with the input."""

    ok: bool
    text: str

    def __str__(self) -> str:
        return self.text


def safe_reply(lm, prompt, **kwargs) -> Reply:
    """Like :func:`generate`,
    but bad input gives ``Reply(False, message)`` instead of raising."""
    try:
        return Reply(True, generate(lm, prompt, **kwargs))
    except InvalidPrompt as error:
        return Reply(False, f"Cannot answer: {error}.")


def stream(lm, prompt, write: Callable[[str], None], **kwargs) -> Reply:
    """Generate with each new piece passed to ``write`` as it comes;
    bad input is written too."""
    try:
        return Reply(True, generate(lm, prompt, on_text=write, **kwargs))
    except InvalidPrompt as error:
        message = f"Cannot answer: {error}."
        write(message)
        return Reply(False, message)


class _CallbackStreamer:
    """A minimal ``transformers`` streamer: decode the new tokens,
    pass new text to a callback."""

    def __init__(self, tokenizer, callback: Callable[[str], None]):
        self.tokenizer, self.callback = tokenizer, callback
        self.ids: list[int] = []
        self.sent = 0
        self.prompt_seen = False

    def put(self, value) -> None:
        if not self.prompt_seen:  # the first call carries the prompt itself
            self.prompt_seen = True
            return
        self.ids.extend(value.reshape(-1).tolist())
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        if text.endswith("\ufffd"):  # half of a multi-byte character: wait for the rest
            return
        self.callback(text[self.sent :])
        self.sent = len(text)

    def end(self) -> None:
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        if len(text) > self.sent:
            self.callback(text[self.sent :])


# --- what the model predicts ----------------------------------------------------------


def next_token_table(lm, text: str, k: int = 10) -> list[tuple[str, float]]:
    """The ``k`` most probable next tokens after ``text``
    (plain continuation) and their probabilities."""
    import torch

    k = integer(k, "k")
    ids = prompt_ids(lm, text, chat=False, max_new_tokens=1)
    with torch.inference_mode():
        logits = lm.model(ids).logits[0, -1].float()
    probs = torch.softmax(logits, dim=-1)
    top = torch.topk(probs, k)
    return [
        (lm.tokenizer.decode([i]), float(p))
        for p, i in zip(top.values, top.indices, strict=True)
    ]


def perplexity(model, tokenizer, text: str) -> float:
    """exp(mean negative log-likelihood per token) of ``text`` under ``model``
    (lower = less surprised)."""
    import torch

    text = check_prompt(text)
    ids = tokenizer(text, return_tensors="pt")["input_ids"].to(model.device)
    if ids.shape[1] < 2:
        raise InvalidPrompt(Message("perplexity needs a text of at least two tokens"))
    with torch.inference_mode():
        loss = model(ids, labels=ids).loss
    return float(torch.exp(loss.float()))


def tokens_per_second(
    model,
    input_ids,
    *,
    new_tokens: int = 32,
    use_cache: bool = True,
    repeats: int = 1,
    **generate_kwargs,
) -> float:
    """Greedy generation speed: new tokens (summed over the batch) per second,
    best of ``repeats``."""
    import torch

    new_tokens = integer(new_tokens, "new_tokens")
    best = float("inf")
    input_ids = input_ids.to(model.device)
    mask = torch.ones_like(input_ids)
    for _ in range(integer(repeats, "repeats")):
        _synchronize(model.device)
        start = time.perf_counter()
        with torch.inference_mode():
            model.generate(
                input_ids,
                attention_mask=mask,
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,
                do_sample=False,
                use_cache=use_cache,
                temperature=None,
                top_p=None,
                top_k=None,
                pad_token_id=model.config.eos_token_id,
                **generate_kwargs,
            )
        _synchronize(model.device)
        best = min(best, time.perf_counter() - start)
    return input_ids.shape[0] * new_tokens / best


def _synchronize(device) -> None:
    import torch

    if getattr(device, "type", str(device)) == "cuda":
        torch.cuda.synchronize(device)


def serialized_bytes(model) -> int:
    """Bytes of the model's ``state_dict`` as ``torch.save`` writes it
    (works for int8 modules too)."""
    import torch

    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes
