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

import os
from pathlib import Path

import numpy as np

from .arguments import choice, integer, number
from .tensors import to_numpy

SIDE = 28
"""Side of the output image in pixels."""
STYLES = {"mnist": 20, "fashion": 28}
"""Longest side of the object inside the 28×28 field, per data set style."""
MNIST_CENTRE = 14.0
"""Where MNIST puts the centre of mass (row and column, 0-based pixel indices): the
mean centre of mass of the training digits is (13.99, 14.00)."""


class ImageError(ValueError):
    """The input is not an image, or holds nothing to recognise."""


MAX_PIXELS = 100_000_000
"""Larger pictures are refused (a 10000 × 10000 picture is 100 megapixels). A JPEG is
measured after decoding at reduced scale, so only other formats meet this limit in
practice; Pillow itself refuses any picture over about 179 megapixels before
decoding."""
WORKING_SIDE = 512
"""Large pictures are reduced (by a whole factor) until their shorter side is below
twice this: far more detail than a 28×28 digit or a 224×224 network input needs, in a
fraction of the memory."""
_HIGH_BIT_MODES = ("I", "I;16", "I;16L", "I;16B", "I;16N", "F")
_EXIF_ORIENTATION = 0x0112


def open_image(source):
    """Open ``source`` as a Pillow image, reduced to a working size if it is large.

    Parameters
    ----------
    source
        Raw file bytes (e.g. from ``ipywidgets.FileUpload``), a path, a Pillow
        image, or a numpy array or torch tensor: 2-D grey, ``(height, width, channels)``
        or channel-first ``(channels, height, width)`` with 1–4 channels (a batch of
        one, ``(1, …)``, is accepted too). Arrays of any real dtype are read by
        their range: ``[0, 1]`` floats, ``0…255`` values, or else stretched from
        ``min(0, lowest)`` to the highest value (a 16-bit or 12-bit picture).

    Returns
    -------
    PIL.Image.Image
        Upright (EXIF orientation applied); 16-bit and float pictures become 8-bit grey,
        stretched by their real range as arrays are. A picture whose shorter side is at
        least ``2 * WORKING_SIDE`` is reduced by a whole factor; a JPEG is decoded at
        the reduced size directly (``Image.draft``), other formats are decoded, then
        reduced.

    Raises
    ------
    ImageError
        When the bytes or file are empty or not in an image format Pillow reads, the
        picture is larger than :data:`MAX_PIXELS`, or an array has no image layout.
    """
    import io
    import warnings

    from PIL import Image, UnidentifiedImageError

    if hasattr(source, "detach") and hasattr(source, "numpy"):  # a torch tensor
        source = to_numpy(source)
    if isinstance(source, np.ndarray):
        return _reduce(_array_image(source))
    if isinstance(source, Image.Image):
        return _decode(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ImageError(f"no such file: {path}")
        source = path.read_bytes()
    if isinstance(source, (bytearray, memoryview)):
        source = bytes(source)
    if not isinstance(source, bytes):
        raise ImageError(
            "expected image bytes, a path, a Pillow image or an array, got "
            f"{type(source).__name__}"
        )
    if not source:
        raise ImageError("the file is empty")
    try:
        # the size is checked below, with a clearer message
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(source))  # reads the header only
    except Image.DecompressionBombError as error:
        raise ImageError(
            f"the picture is far too large to open safely ({error}). Crop the digit, "
            f"or save a copy under {MAX_PIXELS / 1e6:.0f} megapixels, and try again"
        ) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageError(
            "this file is not an image that can be read (use PNG, JPEG, GIF, BMP or "
            f"WebP): {type(error).__name__}"
        ) from error
    return _decode(image)


def _decode(image):
    """Decode a (possibly not yet loaded) Pillow image at a working size; upright."""
    import warnings

    from PIL import Image

    width, height = image.size
    if width == 0 or height == 0:
        raise ImageError(f"the picture has no pixels ({width} × {height})")
    factor = _reduction_factor(image.size)
    if factor > 1 and getattr(image, "format", None) == "JPEG":
        # decode at 1/2, 1/4 or 1/8
        image.draft(image.mode, (width // factor, height // factor))
    if image.width * image.height > MAX_PIXELS:
        raise ImageError(
            f"the picture is {width} × {height} pixels ({width * height / 1e6:.0f} "
            f"megapixels); pictures over {MAX_PIXELS / 1e6:.0f} megapixels are "
            "refused. Crop the digit, or save a smaller copy, and try again"
        )
    # phone photos store their rotation
    orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image.load()  # decode now: a truncated file fails here, not later
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageError(
            "this file is not an image that can be read (use PNG, JPEG, GIF, BMP or "
            f"WebP): {type(error).__name__}"
        ) from error
    return _upright(_eight_bit(_reduce(image)), orientation)


def _reduction_factor(size: tuple[int, int]) -> int:
    return max(1, min(size) // WORKING_SIDE)


def _reduce(image):
    """Shrink by a whole factor (box average) so the shorter side is below
    ``2 * WORKING_SIDE``."""
    from PIL import Image

    factor = _reduction_factor(image.size)
    if factor == 1:
        return image
    # Image.reduce does not take 16-bit modes: average in numpy
    if image.mode in _HIGH_BIT_MODES:
        array = np.asarray(image)
        h, w = (array.shape[0] // factor) * factor, (array.shape[1] // factor) * factor
        blocks = array[:h, :w].reshape(h // factor, factor, w // factor, factor)
        return Image.fromarray(blocks.mean(axis=(1, 3), dtype=np.float32))
    if image.mode == "1":
        image = image.convert("L")
    # palette and the rest
    elif image.mode not in ("L", "LA", "RGB", "RGBA", "CMYK", "I", "F"):
        image = image.convert("RGBA")
    return image.reduce(factor)


def _eight_bit(image):
    """16-bit and float pictures → 8-bit grey,
    read by their real range (``convert("L")`` clips)."""
    from PIL import Image

    if image.mode not in _HIGH_BIT_MODES:
        return image
    return Image.fromarray(
        np.round(_unit_range(np.asarray(image)) * 255).astype(np.uint8)
    )


def _upright(image, orientation: int):
    """Apply an EXIF orientation tag
    (what ``ImageOps.exif_transpose`` does) to any image."""
    from PIL import Image

    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }.get(orientation)
    return image if method is None else image.transpose(method)


def _array_image(array: np.ndarray):
    """A numpy array in any of the usual image layouts → an 8-bit Pillow image."""
    from PIL import Image

    if (
        array.dtype == object
        or np.iscomplexobj(array)
        or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool)
    ):
        raise ImageError(
            f"an image array must hold real numbers, got dtype {array.dtype}"
        )
    while array.ndim > 3 and array.shape[0] == 1:  # a batch of one image
        array = array[0]
    if (
        array.ndim == 3
        and array.shape[-1] not in (1, 2, 3, 4)
        and array.shape[0] in (1, 2, 3, 4)
    ):
        array = np.moveaxis(array, 0, -1)  # channel-first, as torch stores images
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if (
        array.ndim not in (2, 3)
        or array.size == 0
        or (array.ndim == 3 and array.shape[-1] not in (2, 3, 4))
    ):
        raise ImageError(
            "an image array must be 2-D grey (height, width), (height, width, "
            "channels) or channel-first (channels, height, width) with 1–4 channels; "
            f"got shape {array.shape}"
        )
    if array.shape[0] * array.shape[1] > MAX_PIXELS:
        raise ImageError(
            f"the image array is {array.shape[1]} × {array.shape[0]} pixels; arrays "
            f"over {MAX_PIXELS / 1e6:.0f} megapixels are refused (downscale it first)"
        )
    return Image.fromarray(np.round(_unit_range(array) * 255).astype(np.uint8))


def _unit_range(array: np.ndarray) -> np.ndarray:
    """Values in [0, 1] as float32, read by their real range (not by the dtype's).

    ``[0, 1]`` stays; ``0…255`` (8-bit values in any dtype) is divided by 255; anything
    else (16-bit, 12-bit, signed, floats above 255) is stretched from ``min(0, lowest)``
    to the highest value, so a digit stored in ``uint16`` keeps its contrast.
    """
    values = array.astype(np.float32)
    if not np.isfinite(values).all():
        raise ImageError(
            "the image holds NaN or infinite values; replace them (np.nan_to_num) first"
        )
    low, high = float(values.min()), float(values.max())
    if low >= 0 and high <= 1:
        return values
    if low >= 0 and high <= 255:
        return values / 255
    low = min(low, 0.0)
    return (values - low) / (high - low)


def _grey(image) -> np.ndarray:
    """Grey levels in [0, 1]; transparent pixels count as white paper."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    ):
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(paper, rgba)
    return np.asarray(image.convert("L"), dtype=np.float64) / 255.0


def border_mean(grey: np.ndarray, width: int | None = None) -> float:
    """Mean grey level of the outer band of an image (its background, usually).

    ``width`` defaults to 5 % of the shorter side (at least one pixel).
    """
    grey = np.asarray(grey, dtype=float)
    if grey.ndim != 2 or grey.size == 0:
        raise ImageError(f"expected a non-empty 2-D grey image, got shape {grey.shape}")
    if width is not None:
        width = integer(width, "width")
    return float(grey[_band(grey.shape, width)].mean())


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """Intensity-weighted mean (row, column) of an image;
    the middle when it is all zero."""
    image = np.asarray(image, dtype=float)
    if image.ndim != 2 or image.size == 0:
        raise ImageError(
            f"expected a non-empty 2-D grey image, got shape {image.shape}"
        )
    if not np.isfinite(image).all():
        raise ImageError("the image holds NaN or infinite values")
    total = image.sum()
    if total <= 0:
        return ((image.shape[0] - 1) / 2, (image.shape[1] - 1) / 2)
    rows, cols = np.indices(image.shape)
    return float((rows * image).sum() / total), float((cols * image).sum() / total)


def to_mnist(
    source,
    *,
    style: str = "mnist",
    invert: bool | str = "auto",
    ink_threshold: float = 0.2,
) -> np.ndarray:
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
        ink when cropping: a finite number in ``[0, 1)`` (the darkest ink is 1).

    Returns
    -------
    numpy.ndarray
        uint8 array (28, 28), 0 = background, 255 = ink, like ``Dataset.x_test``.

    Raises
    ------
    ImageError
        Not an image, or an image with nothing on it (one flat colour).
    ValueError
        Unknown ``style`` or ``invert``, or ``ink_threshold`` outside ``[0, 1)``.
    """
    from PIL import Image

    choice(style, "style", STYLES)
    invert = choice(invert, "invert", ("auto", True, False))
    ink_threshold = number(
        ink_threshold, "ink_threshold", low=0, high=1, high_open=True
    )
    grey = _grey(open_image(source))
    if invert == "auto":
        invert = border_mean(grey) > 0.5
    if invert:
        grey = 1.0 - grey
    background = float(np.median(grey[_band(grey.shape)]))  # the paper's grey level
    contrast = grey.max() - background
    if contrast < 0.1:
        raise ImageError(
            "the picture is blank (one flat colour): there is nothing to recognise"
        )
    ink = np.clip((grey - background) / contrast, 0.0, 1.0)
    rows = np.flatnonzero((ink > ink_threshold).any(axis=1))
    cols = np.flatnonzero((ink > ink_threshold).any(axis=0))
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    box = STYLES[style]
    scale = box / max(ink.shape)
    # (width, height)
    size = (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale)))
    patch = np.asarray(
        Image.fromarray((ink * 255).astype(np.uint8)).resize(
            size, Image.Resampling.LANCZOS
        ),
        dtype=np.float64,
    )
    patch = np.clip(patch, 0, 255)
    if style == "mnist":
        r, c = centre_of_mass(patch)
        top, left = round(MNIST_CENTRE - r), round(MNIST_CENTRE - c)
    else:
        top, left = (SIDE - patch.shape[0]) // 2, (SIDE - patch.shape[1]) // 2
    top = min(max(top, 0), SIDE - patch.shape[0])  # keep the whole object in the field
    left = min(max(left, 0), SIDE - patch.shape[1])
    out = np.zeros((SIDE, SIDE))
    out[top : top + patch.shape[0], left : left + patch.shape[1]] = patch
    return out.round().astype(np.uint8)


def _band(shape: tuple[int, int], width: int | None = None) -> np.ndarray:
    """Boolean mask of the outer band of an image of ``shape``."""
    width = width or max(1, round(0.05 * min(shape)))
    band = np.ones(shape, dtype=bool)
    band[width:-width, width:-width] = False
    return band
