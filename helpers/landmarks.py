"""Landmark models and their published sizes, for chapters 1 (history) and 8 (trends).

One table, one copy: every number is taken from the paper named in ``source`` (a key of
``references.bib``); blank where the authors did not publish it.
"""

from __future__ import annotations

_NAN = float("nan")

# model, year, organisation, parameters, active parameters (mixture-of-experts only),
# training compute (FLOP), training tokens (language models), source
LANDMARK_MODELS = [
    ("LeNet-5", 1998, "AT&T Bell Labs", 60e3, _NAN, _NAN, _NAN, "lecun1998gradient"),
    ("AlexNet", 2012, "U. Toronto", 60e6, _NAN, _NAN, _NAN, "krizhevsky2012imagenet"),
    ("VGG-16", 2014, "U. Oxford", 138e6, _NAN, _NAN, _NAN, "simonyan2015very"),
    ("GoogLeNet", 2014, "Google", 6.8e6, _NAN, _NAN, _NAN, "szegedy2015going"),
    ("ResNet-50", 2015, "Microsoft Research", 25.6e6, _NAN, _NAN, _NAN, "he2016deep"),
    (
        "Transformer base",
        2017,
        "Google",
        65e6,
        _NAN,
        3.3e18,
        _NAN,
        "vaswani2017attention",
    ),
    (
        "Transformer big",
        2017,
        "Google",
        213e6,
        _NAN,
        2.3e19,
        _NAN,
        "vaswani2017attention",
    ),
    ("BERT-base", 2018, "Google", 110e6, _NAN, _NAN, _NAN, "devlin2019bert"),
    ("BERT-large", 2018, "Google", 340e6, _NAN, _NAN, _NAN, "devlin2019bert"),
    ("GPT-2", 2019, "OpenAI", 1.5e9, _NAN, _NAN, _NAN, "radford2019language"),
    ("T5-11B", 2019, "Google", 11e9, _NAN, _NAN, _NAN, "raffel2020exploring"),
    ("GPT-3", 2020, "OpenAI", 175e9, _NAN, 3.14e23, 300e9, "brown2020language"),
    ("PaLM", 2022, "Google", 540e9, _NAN, 2.56e24, 780e9, "chowdhery2023palm"),
    (
        "Chinchilla",
        2022,
        "DeepMind",
        70e9,
        _NAN,
        5.76e23,
        1.4e12,
        "hoffmann2022training",
    ),
    ("LLaMA-65B", 2023, "Meta", 65.2e9, _NAN, _NAN, 1.4e12, "touvron2023llama"),
    ("Llama 2 70B", 2023, "Meta", 70e9, _NAN, _NAN, 2e12, "touvron2023llama2"),
    (
        "Llama 3.1 405B",
        2024,
        "Meta",
        405e9,
        _NAN,
        3.8e25,
        15.6e12,
        "grattafiori2024llama3",
    ),
    (
        "DeepSeek-V3",
        2024,
        "DeepSeek",
        671e9,
        37e9,
        _NAN,
        14.8e12,
        "deepseekai2024deepseekv3",
    ),
    ("Qwen2.5-72B", 2024, "Alibaba", 72.7e9, _NAN, _NAN, 18e12, "qwen2024qwen25"),
]
COLUMNS = [
    "model",
    "year",
    "organisation",
    "params",
    "active_params",
    "compute_flop",
    "tokens",
    "source",
]


def landmark_models():
    """The table as a new pandas DataFrame (``active_params`` = ``params`` if dense).

    Returns
    -------
    pandas.DataFrame
        One row per model, columns :data:`COLUMNS`, in the order of the list above (by
        year).
    """
    import pandas as pd

    table = pd.DataFrame(LANDMARK_MODELS, columns=COLUMNS)
    # dense: all parameters active
    table["active_params"] = table["active_params"].fillna(table["params"])
    return table
