"""helpers.fonts: Chinese labels in matplotlib are drawn, never boxes."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager, rcParams  # noqa: E402

from helpers import fonts  # noqa: E402

LABELS = ("损失函数", "学习率", "卷积神经网络 (CNN) −0.5")


def draw_chinese() -> list[str]:
    """Draw Chinese labels; return the messages of every warning matplotlib gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.set(title=LABELS[0], xlabel=LABELS[1], ylabel=LABELS[2])
        ax.plot([-1, 1])
        fig.canvas.draw()
        plt.close(fig)
    return [str(w.message) for w in caught]


def font_file_of(family: str) -> Path:
    """The file matplotlib draws ``family`` from (no silent fallback to DejaVu Sans)."""
    prop = font_manager.FontProperties(family=family)
    return Path(font_manager.findfont(prop, fallback_to_default=False))


@pytest.fixture
def restore_rc():
    saved = rcParams.copy()
    yield
    rcParams.update(saved)


def test_without_the_font_matplotlib_warns(restore_rc):
    # the check below can fail: DejaVu Sans has no Chinese glyphs
    rcParams["font.family"] = "sans-serif"
    rcParams["font.sans-serif"] = ["DejaVu Sans"]
    assert any("missing from font" in message for message in draw_chinese())


def test_chinese_font_draws_every_glyph(restore_rc):
    family = fonts.use_chinese_font()
    assert family == fonts.PREFERRED_FAMILY
    assert rcParams["font.sans-serif"][0] == family
    assert font_file_of(family) == fonts.font_path()
    assert not [m for m in draw_chinese() if "Glyph" in m or "missing" in m]


def test_registering_twice_adds_the_font_once(restore_rc):
    fonts.use_chinese_font()
    count = sum(
        entry.name == fonts.PREFERRED_FAMILY
        for entry in font_manager.fontManager.ttflist
    )
    fonts.use_chinese_font()
    again = sum(
        entry.name == fonts.PREFERRED_FAMILY
        for entry in font_manager.fontManager.ttflist
    )
    assert count == again == 1


def test_missing_package_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "noto_cjk_sans_otc", None)  # import now fails
    with pytest.raises(ModuleNotFoundError, match="pip install noto-cjk-sans-otc"):
        fonts.font_path()
