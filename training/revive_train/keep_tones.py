"""What the engine's "keep the photo's tones" does to the local network's output (src/core/restore/keep-tones.ts),
in torch, for the scripts that score the network outside the engine (fit_amount.py): the broad part of the change
(4 x 4 block means, a Gaussian of 1.4 blocks, bilinear back to pixels) may move a pixel by at most LIMIT as the
length of the RGB vector. The engine applies it per tile; here it is applied to the whole image."""
import math

import torch
import torch.nn.functional as F

LIMIT = 3 / 255
BLOCK = 4
SIGMA_BLOCKS = 1.4


def _taps(sigma: float) -> torch.Tensor:
    r = math.ceil(3 * sigma)
    k = torch.exp(-torch.arange(-r, r + 1, dtype=torch.float64) ** 2 / (2 * sigma * sigma))
    return (k / k.sum()).float()


def broad_change(d: torch.Tensor) -> torch.Tensor:
    """The low-pass of a change d [3, H, W] the engine limits."""
    h, w = d.shape[1:]
    small = F.avg_pool2d(d[None], BLOCK, ceil_mode=True, count_include_pad=False)
    k = _taps(SIGMA_BLOCKS)
    r = (len(k) - 1) // 2
    small = F.conv2d(F.pad(small, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1).repeat(3, 1, 1, 1), groups=3)
    small = F.conv2d(F.pad(small, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1).repeat(3, 1, 1, 1), groups=3)
    up = F.interpolate(small, scale_factor=BLOCK, mode="bilinear", align_corners=False)
    return up[0, :, :h, :w]


def keep_tones(y: torch.Tensor, x: torch.Tensor, limit: float = LIMIT) -> torch.Tensor:
    """The network's output y [3, H, W] with the broad part of its change from the input x limited."""
    b = broad_change(y - x)
    length = b.norm(dim=0, keepdim=True)
    s = ((length - limit) / length.clamp(min=1e-12)).clamp(min=0)
    return y - s * b
