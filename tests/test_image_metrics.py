"""Image and signal metrics: psnr, ssim and snr against closed forms."""

import math

import numpy as np
import pytest

from pinnfield import metrics
from pinnfield.errors import DataError


def test_psnr_of_constant_offset():
    # MSE = c^2, so PSNR = 10 log10(R^2 / c^2) = 20 log10(R / |c|)
    reference = np.linspace(-1.5, 2.5, 50)  # range R = 4
    for c in (0.1, -0.02):
        assert metrics.psnr(reference + c, reference) == pytest.approx(20 * math.log10(4 / abs(c)))
    assert metrics.psnr(reference + 0.1, reference, data_range=1.0) == pytest.approx(20.0)
    assert metrics.psnr(reference, reference) == math.inf


def test_ssim_identical_and_noisy():
    rng = np.random.default_rng(0)
    image = rng.uniform(size=(32, 40))
    assert metrics.ssim(image, image) == pytest.approx(1.0)
    noisy = image + 0.1 * rng.standard_normal(image.shape)
    score = metrics.ssim(noisy, image)
    assert 0 < score < 0.99
    colour = rng.uniform(size=(16, 16, 3))
    assert metrics.ssim(colour, colour) == pytest.approx(1.0)
    assert metrics.ssim(colour + 0.05 * rng.standard_normal(colour.shape), colour, data_range=1.0) < 1


def test_ssim_errors():
    with pytest.raises(DataError, match=r"shapes \(8, 8\) and \(8, 9\)"):
        metrics.ssim(np.zeros((8, 8)), np.zeros((8, 9)))
    with pytest.raises(DataError, match="reference is constant.*data_range=1.0"):
        metrics.ssim(np.ones((8, 8)), np.ones((8, 8)))
    assert metrics.ssim(np.ones((8, 8)), np.ones((8, 8)), data_range=1.0) == pytest.approx(1.0)
    with pytest.raises(DataError, match=r"shape \(64,\); expected \(H, W\)"):
        metrics.ssim(np.zeros(64), np.arange(64.0))
    with pytest.raises(DataError, match="H, W >= 7"):
        metrics.ssim(np.zeros((5, 5)), np.eye(5))


def test_snr_of_scaled_error():
    # prediction = (1 + e) reference: noise energy e^2 sum ref^2, so SNR = -20 log10(e)
    reference = np.sin(np.linspace(0, 7, 200))
    assert metrics.snr(1.01 * reference, reference) == pytest.approx(40.0)
    assert metrics.snr(0.9 * reference, reference) == pytest.approx(20.0)
    assert metrics.snr(reference, reference) == math.inf
    with pytest.raises(DataError, match="reference is zero everywhere"):
        metrics.snr(np.ones(3), np.zeros(3))
    with pytest.raises(DataError, match=r"shapes \(3,\) and \(4,\)"):
        metrics.snr(np.ones(3), np.ones(4))
