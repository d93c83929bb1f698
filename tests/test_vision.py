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
    big = Image.fromarray(255 - x if invert else x).resize(
        (140, 140), Image.Resampling.BILINEAR
    )
    canvas.paste(big, (5, 30))
    return png_bytes(canvas.convert("RGB") if colour else canvas)


@pytest.mark.parametrize("invert", [True, False])
def test_an_enlarged_digit_in_either_polarity_gives_the_same_28x28_image(invert):
    # the layout of the small original
    x = vision.to_mnist(mnist_like_digit(), invert=False)
    y = vision.to_mnist(upscaled(x, invert=invert, colour=True))
    assert y.shape == (28, 28) and y.dtype == np.uint8
    # ink is bright, border dark
    assert y.max() == 255 and y[0].max() == 0 and y[:, 0].max() == 0
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


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (b"not an image", "not an image"),
        (b"", "empty"),
        (png_bytes(Image.new("L", (64, 64), 0))[:40], "not an image"),  # truncated PNG
        (png_bytes(Image.new("RGB", (64, 64), (90, 90, 90))), "blank"),
        (np.zeros((0, 5)), "2-D"),
        (12345, "expected image bytes"),
        ("/no/such/file.png", "no such file"),
    ],
)
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

    code = (
        "import sys, helpers.vision; "
        "print('PIL' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False"]


# --- odd pictures: huge, channel-first, 16-bit, float; ink_threshold ------------------


def digit_correlation(y: np.ndarray) -> float:
    reference = vision.to_mnist(mnist_like_digit(), invert=False)
    return float(
        np.corrcoef(reference.ravel().astype(float), y.ravel().astype(float))[0, 1]
    )


def test_a_picture_beyond_pillows_bomb_limit_is_refused_with_a_message():
    # 400 megapixels, 90 kB as a PNG
    huge = png_bytes(Image.new("1", (20_000, 20_000), 1))
    with pytest.raises(vision.ImageError, match="too large.*megapixels"):
        vision.to_mnist(huge)  # was a raw DecompressionBombError


def test_pictures_over_max_pixels_are_refused_before_decoding(monkeypatch):
    monkeypatch.setattr(vision, "MAX_PIXELS", 100 * 100)
    with pytest.raises(vision.ImageError, match="200 × 200 pixels.*refused"):
        vision.to_mnist(png_bytes(Image.new("L", (200, 200), 255)))
    with pytest.raises(vision.ImageError, match="megapixels are refused"):
        vision.to_mnist(np.zeros((200, 200)))


def enlarged_digit(side: int) -> Image.Image:
    """The test digit drawn dark on white paper, ``side`` pixels square."""
    return Image.fromarray(255 - mnist_like_digit()).resize(
        (side, side), Image.Resampling.BILINEAR
    )


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_large_pictures_are_reduced_before_the_grey_levels_are_computed(
    monkeypatch, fmt
):
    seen = []
    grey = vision._grey
    monkeypatch.setattr(
        vision, "_grey", lambda image: seen.append(image.size) or grey(image)
    )
    y = vision.to_mnist(png_bytes(enlarged_digit(2400), fmt))
    # was (2400, 2400): float64 copies of it all
    assert max(seen[0]) < 2 * vision.WORKING_SIDE
    assert digit_correlation(y) > 0.9


def test_a_large_jpeg_is_decoded_at_a_reduced_scale():
    image = vision.open_image(png_bytes(enlarged_digit(4096), "JPEG"))
    assert image.size == (512, 512)  # Image.draft decodes at 1/8 scale: 4096 / 8


def test_the_exif_orientation_is_applied_once_after_reduction():
    # stored sideways
    picture = enlarged_digit(1200).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 270° to show": undoes the 90° above
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif)
    assert digit_correlation(vision.to_mnist(buffer.getvalue())) > 0.9


@pytest.mark.parametrize("layout", ["chw3", "chw1", "nchw", "hw1", "torch_chw"])
def test_every_usual_array_layout_is_accepted(layout):
    import torch

    x = mnist_like_digit()
    source = {
        "chw3": np.stack([x] * 3),
        "chw1": x[None],
        "nchw": x[None, None],
        "hw1": x[..., None],
        "torch_chw": torch.as_tensor(x[None] / 255.0),
    }[layout]
    assert digit_correlation(vision.to_mnist(source, invert=False)) > 0.99


@pytest.mark.parametrize(
    "shape", [(5,), (2, 3, 28, 28), (28, 28, 5), (5, 28, 28), (0, 28)]
)
def test_other_array_layouts_are_refused_with_the_shape(shape):
    with pytest.raises(vision.ImageError, match="shape"):
        vision.to_mnist(np.ones(shape))


@pytest.mark.parametrize(
    "bad",
    [
        np.array([["a", "b"], ["c", "d"]]),
        np.ones((4, 4), complex),
        np.array([[1, None], [2, 3]], dtype=object),
    ],
)
def test_arrays_that_are_not_real_numbers_are_refused(bad):
    with pytest.raises(vision.ImageError, match="real numbers"):
        vision.to_mnist(bad)


def test_nan_in_an_array_is_named_not_called_blank():
    x = mnist_like_digit().astype(float)
    x[0, 0] = np.nan
    with pytest.raises(vision.ImageError, match="NaN"):
        vision.to_mnist(x)


def grey_digit(background: int, ink: int, dtype) -> np.ndarray:
    """The test digit with its real grey levels (not 0 and 255) in a wider dtype."""
    x = mnist_like_digit().astype(float) / 255
    return np.round(background + (ink - background) * x).astype(dtype)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(lambda: grey_digit(20_000, 60_000, np.uint16), id="uint16-array"),
        pytest.param(
            lambda: png_bytes(Image.fromarray(grey_digit(20_000, 60_000, np.uint16))),
            id="16-bit-png",
        ),
        pytest.param(
            lambda: png_bytes(Image.fromarray(grey_digit(0, 1, np.float32)), "TIFF"),
            id="float-tiff-0-1",
        ),
        pytest.param(
            lambda: png_bytes(
                Image.fromarray(grey_digit(300, 900, np.float32)), "TIFF"
            ),
            id="float-tiff-300-900",
        ),
        pytest.param(lambda: grey_digit(-1000, 1000, np.int32), id="signed-array"),
    ],
)
def test_high_bit_depth_pictures_are_read_by_their_real_range_not_called_blank(source):
    assert digit_correlation(vision.to_mnist(source(), invert=False)) > 0.99


@pytest.mark.parametrize(
    "threshold", [1.0, 1.5, -0.5, float("nan"), float("inf"), "0.2", True, None]
)
def test_ink_threshold_must_be_a_finite_number_in_zero_one(threshold):
    with pytest.raises(
        ValueError, match=r"ink_threshold must be a finite number in \[0, 1\)"
    ):
        vision.to_mnist(mnist_like_digit(), ink_threshold=threshold)


def test_ink_threshold_accepts_the_whole_half_open_interval():
    for threshold in (0, 0.5, 0.99, np.float32(0.3)):
        assert vision.to_mnist(mnist_like_digit(), ink_threshold=threshold).max() == 255


def test_invert_refuses_numbers_that_only_look_like_flags():
    with pytest.raises(
        ValueError, match="invert must be one of 'auto', True, False; got 1"
    ):
        vision.to_mnist(mnist_like_digit(), invert=1)
    assert vision.to_mnist(mnist_like_digit(), invert=np.False_).max() == 255


def test_helpers_refuse_what_is_not_a_2d_grey_image():
    with pytest.raises(vision.ImageError, match="2-D"):
        vision.centre_of_mass(np.ones((3, 4, 5)))
    with pytest.raises(vision.ImageError, match="NaN"):
        vision.centre_of_mass(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="width must be a positive integer"):
        vision.border_mean(np.ones((10, 10)), width=-2)
    with pytest.raises(vision.ImageError, match="no pixels"):
        vision.open_image(Image.new("L", (0, 5)))


def test_open_image_gives_an_8_bit_picture_for_a_16_bit_png():
    image = vision.open_image(
        png_bytes(Image.fromarray(grey_digit(20_000, 60_000, np.uint16)))
    )
    assert image.mode == "L"  # so that .convert("RGB") for display keeps the digit
    assert (
        np.asarray(image).min() == round(255 * 20_000 / 60_000)
        and np.asarray(image).max() == 255
    )
