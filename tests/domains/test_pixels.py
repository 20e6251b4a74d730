"""Pixels: an image as a region; layout, value scaling, derivative columns against closed forms, errors."""

import numpy as np
import pytest
import sympy as sp
import torch

import pinnfield as pf
from pinnfield.errors import DataError, DomainError
from pinnfield.domains import Pixels

x, y = sp.symbols("x y")


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def grid(batch, name, shape):
    return batch.data[name].numpy().reshape(shape)


# ---------------------------------------------------------------------------------------------
# Layout and derivative columns
# ---------------------------------------------------------------------------------------------


def test_quadratic_image_derivatives_are_exact_inside():
    # I = a x^2 + b y on 9 x 13 pixels of [-2, 3]^2: h0 = 5/8, h1 = 5/12.
    # Sobel along x: centred difference of a x^2 is 2 a x exactly, smoothing along y keeps it;
    # along y the centred difference of b y is b. 5-point Laplacian: 2 a + 0.
    a, b, H, W = 0.7, -0.3, 9, 13
    rows, cols = np.linspace(-2, 3, H), np.linspace(-2, 3, W)
    image = a * rows[:, None] ** 2 + b * cols[None, :]
    pixels = Pixels(image, (x, y), extent=(-2, 3))
    assert pixels.shape == (H, W) and pixels.spacing == pytest.approx((5 / 8, 5 / 12))
    assert pixels.channels == ("I",) and pixels.data_names == ("I", "I_x", "I_y", "I_lap")
    batch = pixels.sample(None, gen())
    inner = (slice(1, -1), slice(1, -1))
    ix, iy, lap = (grid(batch, k, (H, W)) for k in ("I_x", "I_y", "I_lap"))
    assert np.allclose(ix[inner], np.broadcast_to(2 * a * rows[:, None], (H, W))[inner], atol=1e-12)
    assert np.allclose(iy[inner], b, atol=1e-12)
    assert np.allclose(lap[inner], 2 * a, atol=1e-11)
    for column in (ix, iy, lap):
        assert np.all(np.isfinite(column))
    assert np.array_equal(grid(batch, "I", (H, W)), image)


def test_row_major_layout_and_axes():
    H, W = 4, 6
    image = np.arange(H * W, dtype=float).reshape(H, W)
    pixels = Pixels(image, (x, y), extent=(0, 1))
    batch = pixels.sample(None, gen())
    p = batch.points.numpy()
    assert p.shape == (H * W, 2) and len(pixels) == H * W
    assert np.array_equal(grid(batch, "I", (H, W)), image)
    assert np.allclose(pixels.axes[0], np.linspace(0, 1, H)) and np.allclose(pixels.axes[1], np.linspace(0, 1, W))
    for i, j in [(0, 0), (1, 4), (3, 5), (2, 0)]:
        assert np.array_equal(p[i * W + j], [pixels.axes[0][i], pixels.axes[1][j]])
    lo, hi = pixels.bounds()
    assert np.array_equal(lo, [0, 0]) and np.array_equal(hi, [1, 1])
    assert pixels.interior is pixels
    assert repr(pixels) == "Pixels(4x6 grey, coords=(x, y))"


def test_equal_spacings_match_scipy_laplace():
    from scipy import ndimage

    image = np.random.default_rng(0).uniform(size=(8, 8))
    pixels = Pixels(image, (x, y), extent=(0, 7 * 0.5))
    lap = grid(pixels.sample(None, gen()), "I_lap", (8, 8))
    assert np.allclose(lap, ndimage.laplace(image, mode="reflect") / 0.25)


def test_subset_has_distinct_pixels_with_their_data():
    image = np.random.default_rng(1).uniform(size=(10, 12))
    pixels = Pixels(image, (x, y))
    full = pixels.sample(None, gen())
    batch = pixels.sample(50, gen(3))
    p = batch.points.numpy()
    assert p.shape == (50, 2) and len(np.unique(p, axis=0)) == 50
    # the row of each drawn point in the full layout: i W + j from its coordinates
    i = np.rint((p[:, 0] + 1) / pixels.spacing[0]).astype(int)
    j = np.rint((p[:, 1] + 1) / pixels.spacing[1]).astype(int)
    for name in pixels.data_names:
        assert np.array_equal(batch.data[name].numpy(), full.data[name].numpy()[i * 12 + j])
    assert np.array_equal(batch.data["I"].numpy(), image[i, j])


def test_usable_as_constraint_region():
    u = sp.Function("u")(x, y)
    constraint = pf.Constraint(u - sp.Symbol("I"), on=Pixels(np.ones((3, 3)), (x, y)))
    assert constraint.n is None and constraint.on.data_names[0] == "I"


# ---------------------------------------------------------------------------------------------
# Values: dtypes, channels, resizing, files
# ---------------------------------------------------------------------------------------------


def test_uint8_uint16_bool_scaling():
    raw = np.array([[0, 51, 255]] * 3, dtype=np.uint8)
    assert np.allclose(Pixels(raw, (x, y)).image, [[0, 0.2, 1]] * 3)
    assert Pixels(raw, (x, y)).image.dtype == np.float64
    wide = np.full((3, 3), 65535, dtype=np.uint16)
    assert np.all(Pixels(wide, (x, y)).image == 1)
    assert np.array_equal(Pixels(np.eye(3, dtype=bool), (x, y)).image, np.eye(3))
    single = np.full((4, 3, 1), 0.5, dtype=np.float32)
    assert Pixels(single, (x, y)).image.shape == (4, 3)


def test_colour_columns_and_alpha_dropped():
    rng = np.random.default_rng(2)
    rgba = rng.integers(0, 256, size=(5, 6, 4), dtype=np.uint8)
    pixels = Pixels(rgba, (x, y), name="C")
    assert pixels.image.shape == (5, 6, 3) and np.allclose(pixels.image, rgba[..., :3] / 255)
    assert pixels.channels == ("C_r", "C_g", "C_b")
    assert pixels.data_names == (
        "C_r", "C_r_x", "C_r_y", "C_r_lap",
        "C_g", "C_g_x", "C_g_y", "C_g_lap",
        "C_b", "C_b_x", "C_b_y", "C_b_lap",
    )
    batch = pixels.sample(None, gen())
    assert np.allclose(grid(batch, "C_g", (5, 6)), rgba[..., 1] / 255)
    assert repr(pixels) == "Pixels(5x6 RGB, coords=(x, y))"


def test_resize_and_cameraman():
    image = np.random.default_rng(3).uniform(size=(20, 30, 3))
    assert Pixels(image, (x, y), size=(10, 12)).image.shape == (10, 12, 3)
    assert Pixels(image, (x, y), size=8).shape == (8, 8)
    camera = Pixels.cameraman((x, y), size=64)
    assert camera.shape == (64, 64) and len(camera) == 64 * 64
    assert 0 <= camera.image.min() and camera.image.max() <= 1 and np.ptp(camera.image) > 0.5


def test_reads_png(tmp_path):
    from skimage import io

    raw = (np.arange(20).reshape(4, 5) * 12).astype(np.uint8)
    path = tmp_path / "ramp.png"
    io.imsave(path, raw, check_contrast=False)
    assert np.allclose(Pixels(path, (x, y)).image, raw / 255)
    assert np.allclose(Pixels(str(path), (x, y)).image, raw / 255)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


def test_file_errors(tmp_path):
    missing = tmp_path / "nowhere.png"
    with pytest.raises(DataError, match=r"nowhere\.png' does not exist.*Check the path"):
        Pixels(missing, (x, y))
    junk = tmp_path / "notes.png"
    junk.write_text("not an image")
    with pytest.raises(DataError, match=r"notes\.png' could not be read as an image.*PNG, JPEG, TIFF"):
        Pixels(junk, (x, y))


def test_array_errors():
    with pytest.raises(DataError, match=r"shape \(4, 4, 2\); expected \(H, W\) grey or \(H, W, 3\|4\)"):
        Pixels(np.zeros((4, 4, 2)), (x, y))
    with pytest.raises(DataError, match=r"shape \(16,\)"):
        Pixels(np.zeros(16), (x, y))
    bad = np.zeros((4, 4))
    bad[1, 2] = np.nan
    with pytest.raises(DataError, match=r"1 NaN or infinite value\(s\) \(first at index \(1, 2\)\)"):
        Pixels(bad, (x, y))
    with pytest.raises(DataError, match=r"shape \(2, 5\); expected at least 3 x 3"):
        Pixels(np.zeros((2, 5)), (x, y))
    with pytest.raises(DataError, match="dtype int64"):
        Pixels(np.zeros((4, 4), dtype=np.int64), (x, y))


def test_argument_errors():
    image = np.zeros((4, 4))
    with pytest.raises(DomainError, match=r"2-dimensional but received 1 coords"):
        Pixels(image, (x,))
    with pytest.raises(DomainError, match=r"2-dimensional but received 3 coords"):
        Pixels(image, sp.symbols("x y z"))
    for size in (2, 0, (4,), (4, 2.5), "big", True):
        with pytest.raises(DataError, match="size .* is not an image size"):
            Pixels(image, (x, y), size=size)
    with pytest.raises(DomainError, match="extent"):
        Pixels(image, (x, y), extent=(1, 1))
    with pytest.raises(DataError, match="name 'I x'"):
        Pixels(image, (x, y), name="I x")
