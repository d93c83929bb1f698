"""helpers.vision: any picture → a 28×28 grey image laid out like MNIST."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from helpers import vision


def png_bytes(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def mnist_like_digit() -> np.ndarray:
    """A synthetic '1'-ish stroke, white on black, centred like MNIST."""
    image = Image.new("L", (28, 28), 0)
    ImageDraw.Draw(image).line([(12, 4), (15, 23)], fill=255, width=3)
    return np.asarray(image)


def upscaled(x: np.ndarray, *, invert: bool, size=(150, 200), colour=False) -> bytes:
    """Paste an enlarged copy of a 28×28 image into a bigger canvas (uniform scale)."""
    canvas = Image.new("L", size, 255 if invert else 0)
    big = Image.fromarray(255 - x if invert else x).resize((140, 140), Image.Resampling.BILINEAR)
    canvas.paste(big, (5, 30))
    return png_bytes(canvas.convert("RGB") if colour else canvas)


@pytest.mark.parametrize("invert", [True, False])
def test_an_enlarged_digit_in_either_polarity_gives_the_same_28x28_image(invert):
    x = vision.to_mnist(mnist_like_digit(), invert=False)  # the layout of the small original
    y = vision.to_mnist(upscaled(x, invert=invert, colour=True))
    assert y.shape == (28, 28) and y.dtype == np.uint8
    assert y.max() == 255 and y[0].max() == 0 and y[:, 0].max() == 0  # ink is bright, border dark
    corr = np.corrcoef(x.ravel().astype(float), y.ravel().astype(float))[0, 1]
    assert corr > 0.9


def test_mnist_style_centres_by_centre_of_mass_and_fits_a_20_pixel_box():
    image = Image.new("L", (300, 120), 255)  # a wide picture, digit off to the left
    ImageDraw.Draw(image).rectangle([20, 10, 60, 110], fill=0)
    y = vision.to_mnist(png_bytes(image))
    rows, cols = np.nonzero(y > 50)
    assert rows.max() - rows.min() + 1 <= 21 and cols.max() - cols.min() + 1 <= 21
    r, c = vision.centre_of_mass(y.astype(float))
    assert abs(r - vision.MNIST_CENTRE) <= 0.75 and abs(c - vision.MNIST_CENTRE) <= 0.75


def test_fashion_style_fills_the_frame():
    image = Image.new("RGB", (400, 200), "white")
    ImageDraw.Draw(image).ellipse([50, 20, 350, 180], fill=(200, 30, 30))
    y = vision.to_mnist(png_bytes(image, "JPEG"), style="fashion")
    cols = np.flatnonzero((y > 50).any(axis=0))
    assert cols.max() - cols.min() + 1 >= 26


def test_transparent_png_counts_as_white_paper():
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))  # transparent *black*
    ImageDraw.Draw(image).line([(50, 10), (50, 90)], fill=(0, 0, 0, 255), width=8)
    y = vision.to_mnist(png_bytes(image))
    assert y.max() == 255 and y[0].max() == 0


def test_explicit_polarity_and_arrays_are_accepted():
    x = mnist_like_digit()
    assert vision.to_mnist(x, invert=False).max() == 255
    assert vision.to_mnist(x / 255.0, invert=False).max() == 255
    assert vision.to_mnist(255 - x, invert=True).max() == 255


def test_border_mean_sees_the_background():
    grey = np.zeros((40, 40))
    grey[10:30, 10:30] = 1
    assert vision.border_mean(grey) == 0
    assert vision.border_mean(1 - grey) == 1


@pytest.mark.parametrize(("bad", "message"), [
    (b"not an image", "not an image"),
    (b"", "empty"),
    (png_bytes(Image.new("L", (64, 64), 0))[:40], "not an image"),  # truncated PNG
    (png_bytes(Image.new("RGB", (64, 64), (90, 90, 90))), "blank"),
    (np.zeros((0, 5)), "2-D"),
    (12345, "expected image bytes"),
    ("/no/such/file.png", "no such file"),
])
def test_bad_input_gives_a_clear_image_error(bad, message):
    with pytest.raises(vision.ImageError, match=message):
        vision.to_mnist(bad)


def test_bad_options_are_rejected():
    x = mnist_like_digit()
    with pytest.raises(ValueError, match="style"):
        vision.to_mnist(x, style="cifar")
    with pytest.raises(ValueError, match="invert"):
        vision.to_mnist(x, invert="maybe")


def test_importing_helpers_vision_does_not_import_pillow_or_torch():
    import subprocess
    import sys

    code = "import sys, helpers.vision; print('PIL' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
