"""The landmark table: complete, cited, and consistent with the 6·N·D rule where it can
be checked."""

import math
import re
from pathlib import Path

from helpers.landmarks import COLUMNS, landmark_models

ROOT = Path(__file__).resolve().parent.parent


def test_every_row_is_complete_and_cited_in_the_bibliography():
    table = landmark_models()
    keys = set(re.findall(r"@\w+\{([^,]+),", (ROOT / "references.bib").read_text()))
    assert list(table.columns) == COLUMNS and len(table) == table["model"].nunique()
    assert set(table["source"]) <= keys, set(table["source"]) - keys
    assert (table["params"] > 0).all() and (
        table["active_params"] <= table["params"]
    ).all()
    assert table["year"].is_monotonic_increasing


def test_dense_models_have_all_parameters_active_and_moe_fewer():
    table = landmark_models().set_index("model")
    assert table.loc["GPT-3", "active_params"] == table.loc["GPT-3", "params"]
    assert (
        table.loc["DeepSeek-V3", "active_params"]
        < table.loc["DeepSeek-V3", "params"] / 10
    )


def test_published_compute_agrees_with_six_n_d_within_ten_percent():
    table = landmark_models().dropna(subset=["compute_flop", "tokens"])
    assert len(table) >= 3
    for _, row in table.iterrows():
        ratio = 6 * row["active_params"] * row["tokens"] / row["compute_flop"]
        assert math.isclose(ratio, 1, rel_tol=0.1), (row["model"], ratio)


def test_each_call_returns_a_fresh_table():
    first = landmark_models()
    first.loc[0, "params"] = -1
    assert landmark_models().loc[0, "params"] > 0
