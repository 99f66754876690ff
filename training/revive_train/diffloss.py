"""DiffLoss (Tan & Zhao, "DiffLoss: unleashing diffusion model as constraint for training image restoration
network", arXiv 2406.19030): a frozen diffusion prior as an auxiliary loss.

    loss = pixel(z, x) + lambda_nat * L_nat + lambda_sem * L_sem
    L_nat = || eps(z_t, t) - eps(x_t, t) ||^2      (naturalness: the prior's noise estimate on the restored image
                                                    z should match the one on the clean image x)
    L_sem = || h(z_t, t) - h(x_t, t) ||^2          (semantics: the UNet's bottleneck features)

z and x are mapped to [-1, 1] and noised at the SAME t with the SAME noise. The UNet is frozen (no parameter takes a
gradient) and in eval mode, but the z branch is NOT under no_grad: the gradient flows through the UNet into z and on
into the restoration network. (The public reference code wraps both terms in torch.no_grad(), which makes them
constants, so it trains with the pixel loss alone; tests/test_diffloss.py guards against repeating that.)
Only the x_t branch, a target, runs under no_grad.
"""
import hashlib
from pathlib import Path

import torch
import torch.nn as nn

from .common import load_ema
from .paths import portable
from .diffusion import Schedule, q_sample
from .unet import UNet


def charbonnier(a, b, eps: float = 1e-3):
    return torch.sqrt((a - b) ** 2 + eps * eps).mean()


def pixel_loss(kind: str, a, b):
    if kind == "l1":
        return (a - b).abs().mean()
    if kind == "charbonnier":
        return charbonnier(a, b)
    raise ValueError(kind)


def load_prior(path, device="cpu") -> tuple:
    """A frozen prior file {step, ema, cfg, source} (or a training checkpoint) -> (UNet in eval mode, info)."""
    path = Path(path).expanduser()
    unet, ck = load_ema(path, UNet, device)
    unet.requires_grad_(False)
    info = {"file": portable(path), "step": int(ck["step"]), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    return unet, info


class DiffLoss(nn.Module):
    def __init__(self, unet: UNet, sched: Schedule = Schedule(), t_min: int = 0, t_max: int = 999,
                 lambda_nat: float = 1.0, lambda_sem: float = 1.0, pixel: str = "charbonnier"):
        super().__init__()
        self.unet = unet.eval().requires_grad_(False)
        self.sched = sched
        self.t_min, self.t_max = t_min, t_max
        self.lambda_nat, self.lambda_sem = lambda_nat, lambda_sem
        self.pixel = pixel

    def train(self, mode: bool = True):  # the prior stays in eval mode whatever the caller does
        super().train(mode)
        self.unet.eval()
        return self

    def prior_terms(self, z, x, t=None, noise=None, generator=None):
        """(L_nat, L_sem) for restored z and clean x in [0, 1]; t [N] integer, noise like z (drawn if None)."""
        n = z.shape[0]
        if t is None:
            t = torch.randint(self.t_min, self.t_max + 1, (n,), generator=generator).to(z.device)
        if noise is None:
            noise = torch.randn(z.shape, generator=generator).to(z.device)
        tf = t.float()
        with torch.no_grad():
            eps_x, h_x = self.unet(q_sample(x * 2 - 1, t, noise, self.sched), tf, return_features=True)
        eps_z, h_z = self.unet(q_sample(z * 2 - 1, t, noise, self.sched), tf, return_features=True)
        return (eps_z - eps_x).pow(2).mean(), (h_z - h_x).pow(2).mean()

    def forward(self, z, x, generator=None) -> tuple:
        """Returns (total loss, dict of the parts as floats)."""
        pix = pixel_loss(self.pixel, z, x)
        total = pix
        parts = {"pix": pix.item()}
        if self.lambda_nat or self.lambda_sem:
            nat, sem = self.prior_terms(z, x, generator=generator)
            total = total + self.lambda_nat * nat + self.lambda_sem * sem
            parts.update(nat=nat.item(), sem=sem.item())
        return total, parts
