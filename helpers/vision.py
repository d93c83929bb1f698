"""Turn any picture into a 28×28 grey image laid out like MNIST or Fashion-MNIST.

A model trained on MNIST expects what MNIST's makers did to every digit:
white ink on a black background, the digit scaled to fit a 20×20 box
(aspect ratio kept) and placed in a 28×28 field so that its **centre of
mass** sits in the middle (LeCun et al. 1998). Fashion-MNIST's garments
instead fill the 28×28 frame (longest side 28 pixels, centred; Xiao et al.
2017). A photo from a phone is none of that: big, in colour, usually dark ink
on white paper. :func:`to_mnist` bridges the gap; :class:`ImageError` carries
a message a reader can act on when the file is not a usable image.

Pillow is imported inside the functions (it comes with matplotlib).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SIDE = 28
"""Side of the output image in pixels."""
STYLES = {"mnist": 20, "fashion": 28}
"""Longest side of the object inside the 28×28 field, per data set style."""
MNIST_CENTRE = 14.0
"""Where MNIST puts the centre of mass (row and column, 0-based pixel indices): the
mean centre of mass of the training digits is (13.99, 14.00)."""


class ImageError(ValueError):
    """The input is not an image, or holds nothing to recognise."""


def open_image(source):
    """Open ``source`` as a Pillow image.

    Parameters
    ----------
    source
        Raw file bytes (e.g. from ``ipywidgets.FileUpload``), a path, a Pillow
        image, or a numpy array (2-D grey, or 3-D RGB/RGBA).

    Raises
    ------
    ImageError
        When the bytes or file are empty or not in an image format Pillow reads.
    """
    import io

    from PIL import Image, UnidentifiedImageError

    if isinstance(source, Image.Image):
        return source
    if isinstance(source, np.ndarray):
        if source.ndim not in (2, 3) or source.size == 0:
            raise ImageError(f"an image array must be 2-D (grey) or 3-D (colour), got shape {source.shape}")
        array = source.astype(np.float64)
        if array.max() <= 1.0:  # floats in [0, 1]
            array = array * 255
        return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise ImageError(f"no such file: {path}")
        source = path.read_bytes()
    if isinstance(source, (bytearray, memoryview)):
        source = bytes(source)
    if not isinstance(source, bytes):
        raise ImageError(f"expected image bytes, a path, a Pillow image or an array, got {type(source).__name__}")
    if not source:
        raise ImageError("the file is empty")
    try:
        image = Image.open(io.BytesIO(source))
        image.load()  # decode now: a truncated file fails here, not later
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageError("this file is not an image that can be read (use PNG, JPEG, GIF, BMP or WebP): "
                         f"{type(error).__name__}") from error
    return image


def _grey(image) -> np.ndarray:
    """Grey levels in [0, 1]; transparent pixels count as white paper."""
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(image)  # phone photos store their rotation in EXIF
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(paper, rgba)
    return np.asarray(image.convert("L"), dtype=np.float64) / 255.0


def border_mean(grey: np.ndarray, width: int | None = None) -> float:
    """Mean grey level of the outer band of an image (its background, usually).

    ``width`` defaults to 5 % of the shorter side (at least one pixel).
    """
    if grey.ndim != 2 or grey.size == 0:
        raise ImageError(f"expected a non-empty 2-D grey image, got shape {grey.shape}")
    return float(grey[_band(grey.shape, width)].mean())


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """Intensity-weighted mean (row, column) of an image; the middle when it is all zero."""
    total = image.sum()
    if total <= 0:
        return ((image.shape[0] - 1) / 2, (image.shape[1] - 1) / 2)
    rows, cols = np.indices(image.shape)
    return float((rows * image).sum() / total), float((cols * image).sum() / total)


def to_mnist(source, *, style: str = "mnist", invert: bool | str = "auto",
             ink_threshold: float = 0.2) -> np.ndarray:
    """Bring a picture of one digit (or garment) into the layout of the training images.

    Steps: grey levels → polarity (MNIST is white on black: a light border
    means dark ink on light paper, so the image is inverted) → background
    removed and contrast stretched → cropped to the ink → resized, aspect ratio
    kept, so the longest side is 20 px (``mnist``) or 28 px (``fashion``) →
    placed in a 28×28 field, centred by centre of mass (``mnist``) or by its
    bounding box (``fashion``).

    Parameters
    ----------
    source
        What :func:`open_image` accepts: bytes, a path, a Pillow image or an array.
    style
        ``"mnist"`` or ``"fashion"``.
    invert
        ``"auto"`` (decide from the border), ``True`` (dark ink on light
        paper) or ``False`` (already light on dark).
    ink_threshold
        Grey level, after stretching to [0, 1], above which a pixel counts as
        ink when cropping.

    Returns
    -------
    numpy.ndarray
        uint8 array (28, 28), 0 = background, 255 = ink, like ``Dataset.x_test``.

    Raises
    ------
    ImageError
        Not an image, or an image with nothing on it (one flat colour).
    ValueError
        Unknown ``style`` or ``invert``.
    """
    from PIL import Image

    if style not in STYLES:
        raise ValueError(f"style must be one of {sorted(STYLES)}, got {style!r}")
    if invert not in ("auto", True, False):
        raise ValueError(f"invert must be 'auto', True or False, got {invert!r}")
    grey = _grey(open_image(source))
    if invert == "auto":
        invert = border_mean(grey) > 0.5
    if invert:
        grey = 1.0 - grey
    background = float(np.median(grey[_band(grey.shape)]))  # the paper's grey level
    contrast = grey.max() - background
    if contrast < 0.1:
        raise ImageError("the picture is blank (one flat colour): there is nothing to recognise")
    ink = np.clip((grey - background) / contrast, 0.0, 1.0)
    rows = np.flatnonzero((ink > ink_threshold).any(axis=1))
    cols = np.flatnonzero((ink > ink_threshold).any(axis=0))
    ink = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    box = STYLES[style]
    scale = box / max(ink.shape)
    size = (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale)))  # (width, height)
    patch = np.asarray(Image.fromarray((ink * 255).astype(np.uint8)).resize(size, Image.Resampling.LANCZOS),
                       dtype=np.float64)
    patch = np.clip(patch, 0, 255)
    if style == "mnist":
        r, c = centre_of_mass(patch)
        top, left = round(MNIST_CENTRE - r), round(MNIST_CENTRE - c)
    else:
        top, left = (SIDE - patch.shape[0]) // 2, (SIDE - patch.shape[1]) // 2
    top = min(max(top, 0), SIDE - patch.shape[0])  # keep the whole object in the field
    left = min(max(left, 0), SIDE - patch.shape[1])
    out = np.zeros((SIDE, SIDE))
    out[top:top + patch.shape[0], left:left + patch.shape[1]] = patch
    return out.round().astype(np.uint8)


def _band(shape: tuple[int, int], width: int | None = None) -> np.ndarray:
    """Boolean mask of the outer band of an image of ``shape``."""
    width = width or max(1, round(0.05 * min(shape)))
    band = np.ones(shape, dtype=bool)
    band[width:-width, width:-width] = False
    return band
