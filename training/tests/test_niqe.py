"""The metrics' own arithmetic (no dataset needed). NIQE itself needs the pristine-model parameters in
../shared/metrics and real photos: training/check_data.py checks it there (ordering on CBSD68, BasicSR's value on
Set14's baboon), with the other properties of the datasets."""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from revive_train.metrics import psnr, ssim
from revive_train.niqe import imresize


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
