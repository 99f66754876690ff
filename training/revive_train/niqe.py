"""NIQE, the Natural Image Quality Evaluator (Mittal, Soundararajan & Bovik, "Making a completely blind image quality
analyzer", IEEE SPL 2013): a no-reference score, lower = more natural.

The project's own implementation of the algorithm as BasicSR computes it (basicsr/metrics/niqe.py), with the
pristine model from ../shared/metrics/niqe_pris_params.npz (mu_pris_param 1x36, cov_pris_param 36x36,
gaussian_window 7x7):
- the image's Y channel (ITU-R BT.601, 16..235, as BasicSR's to_y_channel), rounded, in float64; cropped to whole
  96x96 blocks;
- two scales: the image, then MATLAB-style bicubic imresize by 0.5 with antialiasing (blocks 48x48 there);
- MSCN coefficients: (I - mu) / (sigma + 1), mu and sigma from the 7x7 Gaussian window (scipy convolve, 'nearest');
- per block 18 features: the AGGD fit (alpha, mean of the two betas) of the MSCN coefficients, and for the four
  neighbour products (shifts (0,1), (1,0), (1,1), (1,-1), circular as np.roll) alpha, mean, beta_left, beta_right;
- the blocks' features (36 over the two scales) -> their mean and covariance (blocks with NaN left out of the
  covariance); NIQE = sqrt((mu_p - mu)^T pinv((cov_p + cov) / 2) (mu_p - mu)).
"""
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy.ndimage import convolve
from scipy.special import gamma

from .data import DATASETS

PARAMS = Path(DATASETS).parent / "metrics" / "niqe_pris_params.npz"

_GAM = np.arange(0.2, 10.001, 0.001)
_R_GAM = np.square(gamma(2 / _GAM)) / (gamma(1 / _GAM) * gamma(3 / _GAM))


@lru_cache(maxsize=2)
def load_params(path: str = str(PARAMS)):
    d = np.load(path)
    return d["mu_pris_param"], d["cov_pris_param"], d["gaussian_window"]


def estimate_aggd_param(block: np.ndarray):
    block = block.flatten()
    left_std = np.sqrt(np.mean(block[block < 0] ** 2))
    right_std = np.sqrt(np.mean(block[block > 0] ** 2))
    gammahat = left_std / right_std
    rhat = (np.mean(np.abs(block))) ** 2 / np.mean(block ** 2)
    rhatnorm = (rhat * (gammahat ** 3 + 1) * (gammahat + 1)) / ((gammahat ** 2 + 1) ** 2)
    alpha = _GAM[np.argmin((_R_GAM - rhatnorm) ** 2)]
    k = np.sqrt(gamma(1 / alpha) / gamma(3 / alpha))
    return alpha, left_std * k, right_std * k


def compute_feature(block: np.ndarray) -> list:
    alpha, beta_l, beta_r = estimate_aggd_param(block)
    feat = [alpha, (beta_l + beta_r) / 2]
    for shift in ([0, 1], [1, 0], [1, 1], [1, -1]):
        alpha, beta_l, beta_r = estimate_aggd_param(block * np.roll(block, shift, axis=(0, 1)))
        mean = (beta_r - beta_l) * (gamma(2 / alpha) / gamma(1 / alpha))
        feat += [alpha, mean, beta_l, beta_r]
    return feat


def _cubic(x):
    ax = np.abs(x)
    return ((1.5 * ax ** 3 - 2.5 * ax ** 2 + 1) * (ax <= 1)
            + (-0.5 * ax ** 3 + 2.5 * ax ** 2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2)))


def _resize_matrix(n_in: int, scale: float) -> np.ndarray:
    """MATLAB imresize (bicubic, antialiasing) along one axis as a [n_out, n_in] matrix, symmetric borders."""
    n_out = math.ceil(n_in * scale)
    width = 4.0 / scale if scale < 1 else 4.0
    x = np.arange(1, n_out + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - width / 2)
    p = math.ceil(width) + 2
    idx = left[:, None] + np.arange(p)[None, :]
    dist = u[:, None] - idx
    w = scale * _cubic(dist * scale) if scale < 1 else _cubic(dist)
    w = w / w.sum(1, keepdims=True)
    idx = idx.astype(np.int64)
    idx = np.where(idx < 1, 1 - idx, idx)  # symmetric padding: 0 -> 1, -1 -> 2, ...
    idx = np.where(idx > n_in, 2 * n_in + 1 - idx, idx)
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.repeat(np.arange(n_out), p), idx.ravel() - 1), w.ravel())
    return m


def imresize(img: np.ndarray, scale: float) -> np.ndarray:
    return _resize_matrix(img.shape[0], scale) @ img @ _resize_matrix(img.shape[1], scale).T


def niqe_y(img: np.ndarray, block: int = 96) -> float:
    """NIQE of a 2-D luminance image on the 0..255 scale (float64)."""
    mu_p, cov_p, win = load_params()
    h, w = img.shape
    nh, nw = h // block, w // block
    if nh < 1 or nw < 1:
        raise ValueError(f"NIQE needs at least {block}x{block} pixels, got {h}x{w}")
    img = img[:nh * block, :nw * block].astype(np.float64)
    dist = []
    for scale in (1, 2):
        mu = convolve(img, win, mode="nearest")
        sigma = np.sqrt(np.abs(convolve(np.square(img), win, mode="nearest") - np.square(mu)))
        mscn = (img - mu) / (sigma + 1)
        b = block // scale
        dist.append(np.array([compute_feature(mscn[i * b:(i + 1) * b, j * b:(j + 1) * b])
                              for j in range(nw) for i in range(nh)]))
        if scale == 1:
            img = imresize(img / 255.0, 0.5) * 255.0
    dist = np.concatenate(dist, axis=1)
    mu_d = np.nanmean(dist, axis=0)
    cov_d = np.cov(dist[~np.isnan(dist).any(axis=1)], rowvar=False)
    inv = np.linalg.pinv((cov_p + cov_d) / 2)
    d = mu_p - mu_d
    return float(np.sqrt(np.squeeze(d @ inv @ d.T)))


def rgb_to_y(rgb: np.ndarray) -> np.ndarray:
    """[H, W, 3] RGB on 0..255 -> Y (BT.601, 16..235) on 0..255, as BasicSR's to_y_channel."""
    x = rgb.astype(np.float64) / 255.0
    return (16.0 + x @ np.array([65.481, 128.553, 24.966])) 


def niqe(image, crop_border: int = 0) -> float:
    """NIQE of an RGB image: uint8 [H, W, 3] numpy, or a float tensor/array [3, H, W] in [0, 1]."""
    a = np.asarray(image.detach().cpu() if hasattr(image, "detach") else image)
    if a.ndim == 3 and a.shape[0] == 3 and a.shape[-1] != 3:
        a = a.transpose(1, 2, 0)
    if a.dtype != np.uint8:
        a = np.clip(a * 255.0, 0, 255)
        a = np.floor(a + 0.5)
    y = rgb_to_y(a.astype(np.float64))
    if crop_border:
        y = y[crop_border:-crop_border, crop_border:-crop_border]
    return niqe_y(np.round(y))
