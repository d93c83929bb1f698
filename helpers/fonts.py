"""A Chinese font for matplotlib, installed with the course rather than hoped for.

matplotlib's default font (DejaVu Sans) has no Chinese characters: a label such
as 损失函数 comes out as empty boxes, with a "Glyph … missing from font"
warning. :func:`use_chinese_font` registers Noto Sans CJK (SIL Open Font
Licence 1.1), which the PyPI package ``noto-cjk-sans-otc`` ships as one font
collection, and puts its Simplified-Chinese face first in matplotlib's
sans-serif list. Latin letters and digits are drawn by the same face, so a
figure looks the same in both editions. On Colab the package installs with
``pip install noto-cjk-sans-otc`` in seconds; nothing depends on the fonts of
the operating system.
"""

from __future__ import annotations

from pathlib import Path

FONT_PACKAGE = "noto-cjk-sans-otc"
PREFERRED_FAMILY = "Noto Sans CJK SC"
"""The collection's Simplified-Chinese face (glyph shapes of the mainland standard)."""


def font_path() -> Path:
    """Where the Noto Sans CJK collection is installed.

    Raises
    ------
    ModuleNotFoundError
        When the package that ships the font is missing, saying how to install it.
    """
    try:
        import noto_cjk_sans_otc
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            f"the Chinese font is not installed: run `pip install {FONT_PACKAGE}` "
            "(it ships Noto Sans CJK, 16 MB) and try again"
        ) from error
    return Path(str(noto_cjk_sans_otc.FONT_PATH))


def use_chinese_font() -> str:
    """Register Noto Sans CJK with matplotlib and make it the first sans-serif font.

    Returns
    -------
    str
        The family that matplotlib now draws text with (``"Noto Sans CJK SC"``;
        a matplotlib too old to read every face of a font collection offers only
        the collection's first face, Noto Sans CJK JP, which also covers Chinese).
    """
    from matplotlib import font_manager, rcParams

    path = font_path()
    known = {entry.name for entry in font_manager.fontManager.ttflist}
    if PREFERRED_FAMILY not in known:
        font_manager.fontManager.addfont(str(path))
        known = {entry.name for entry in font_manager.fontManager.ttflist}
    family = (
        PREFERRED_FAMILY
        if PREFERRED_FAMILY in known
        else font_manager.FontProperties(fname=str(path)).get_name()
    )
    rcParams["font.family"] = "sans-serif"
    rcParams["font.sans-serif"] = [family] + [
        f for f in rcParams["font.sans-serif"] if f != family
    ]
    return family
