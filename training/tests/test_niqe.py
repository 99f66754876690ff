import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from revive_train.data import DATASETS, load_rgb
from revive_train.metrics import psnr, ssim
from revive_train.niqe import PARAMS, imresize, niqe

pytestmark = pytest.mark.skipif(not PARAMS.exists(), reason="NIQE parameters missing")
IMG = DATASETS / "val" / "cbsd68" / "101085.png"


def test_lower_on_clean_than_noisy_or_blurred():
    x = load_rgb(IMG).float() / 255
    g = torch.Generator().manual_seed(0)
    clean = niqe(x)
    noisy = niqe((x + 0.06 * torch.randn(x.shape, generator=g)).clamp(0, 1))
    blurred = niqe(torch.nn.functional.avg_pool2d(x[None], 5, 1, 2, count_include_pad=False)[0])
    assert clean < noisy and clean < blurred


def test_deterministic():
    x = load_rgb(IMG)
    assert niqe(x.permute(1, 2, 0).numpy()) == niqe(x.permute(1, 2, 0).numpy())


def test_matches_basicsr_reference_on_baboon():
    """BasicSR (and MATLAB) give 5.7296 for Set14's baboon, read as RGB, Y channel, no border crop."""
    p = DATASETS / "val" / "set14" / "baboon.png"
    if not p.exists():
        pytest.skip("set14 missing")
    assert niqe(load_rgb(p).permute(1, 2, 0).numpy()) == pytest.approx(5.7296, abs=2e-3)


def test_imresize_half_of_constant_is_constant():
    a = np.full((20, 30), 7.0)
    b = imresize(a, 0.5)
    assert b.shape == (10, 15) and np.allclose(b, 7.0)


def test_psnr_ssim():
    x = torch.rand(2, 3, 32, 32)
    assert psnr(x, x) > 100 and ssim(x, x) == pytest.approx(1.0)
    y = (x + 0.1).clamp(0, 1)
    assert 10 < psnr(y, x) < 30 and ssim(y, x) < 1
    assert psnr(torch.zeros(1, 3, 4, 4), torch.full((1, 3, 4, 4), 0.1)) == pytest.approx(20.0)
