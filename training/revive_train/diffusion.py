"""DDPM forward process (T = 1000, linear betas), epsilon prediction, DDIM sampling and SDEdit.

The app's sampler (src/core/refine) reproduces this exactly from the schedule written into models/manifest.json:
alphas_cumprod[t] for integer t in [0, T), images in [-1, 1], the network called with float t.
"""
import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Schedule:
    T: int = 1000
    beta_start: float = 1e-4
    beta_end: float = 0.02

    @property
    def betas(self) -> torch.Tensor:
        return torch.linspace(self.beta_start, self.beta_end, self.T, dtype=torch.float64)

    @property
    def alphas_cumprod(self) -> torch.Tensor:
        return torch.cumprod(1.0 - self.betas, dim=0)

    def to_manifest(self) -> dict:
        return {
            "type": "ddpm-linear",
            "T": self.T,
            "beta_start": self.beta_start,
            "beta_end": self.beta_end,
            "prediction": "epsilon",
            "value_range": [-1, 1],
            "alphas_cumprod": [float(a) for a in self.alphas_cumprod],
        }


def q_sample(x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, sched: Schedule) -> torch.Tensor:
    """x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) noise, for integer t of shape [N]."""
    abar = sched.alphas_cumprod.to(x0.device)[t].float().view(-1, 1, 1, 1)
    return abar.sqrt() * x0 + (1 - abar).sqrt() * noise


def ddim_timesteps(t0: int, steps: int) -> list:
    """The timesteps the model is evaluated at, descending: round(t0 * i / n) for i = n..1, n = min(steps, t0).

    The last evaluation (at t0 / n) predicts x_0 directly, so `steps` is exactly the number of network calls and
    the list is strictly decreasing (consecutive values differ by at least 1 before rounding). Rounding is half
    up, as in the app's TypeScript sampler (src/core/refine), so both evaluate the same timesteps.
    """
    n = max(1, min(steps, t0))
    return [math.floor(t0 * i / n + 0.5) for i in range(n, 0, -1)]  # half up, as JavaScript's Math.round


@torch.no_grad()
def ddim_sample(model, x_t: torch.Tensor, t0: int, steps: int, sched: Schedule, eta: float = 0.0,
                generator=None, known=None, mask=None, jumps: int = 0) -> torch.Tensor:
    """Reverse process from x_t at t0 to x_0 with DDIM steps (eta=0 deterministic, eta=1 DDPM-like).

    known/mask: masked SDEdit; where mask < 1 the state is pulled each step towards `known` noised to that step
    (mask * x + (1 - mask) * known_t). Where the mask is fractional (the feathered edge) the two noisy states are
    independent, so the blend has too little noise for the step; independent noise of variance
    2 m (1 - m) (1 - abar) tops it up to the schedule's level.
    jumps: RePaint-style resampling (Lugmayr et al. 2022): each step except the last is taken jumps + 1 times, the
    state noised back from t_prev to t in between, so the masked area harmonises with its surroundings.
    """
    abar = sched.alphas_cumprod.float().to(x_t.device)
    ts = ddim_timesteps(t0, steps)
    ramp = mask is not None and bool(((mask > 0) & (mask < 1)).any())
    x = x_t
    for i, t in enumerate(ts):
        t_prev = ts[i + 1] if i + 1 < len(ts) else -1
        a_t = abar[t]
        a_prev = abar[t_prev] if t_prev >= 0 else torch.tensor(1.0, device=x.device)
        for j in range(jumps + 1 if t_prev >= 0 else 1):
            if j > 0:  # back from t_prev to t: q(x_t | x_t_prev)
                r = a_t / a_prev
                x = r.sqrt() * x + (1 - r).sqrt() * torch.randn(x.shape, generator=generator, device=x.device)
            eps = model(x, torch.full((x.shape[0],), float(t), device=x.device))
            x0 = ((x - (1 - a_t).sqrt() * eps) / a_t.sqrt()).clamp(-1, 1)
            eps = (x - a_t.sqrt() * x0) / (1 - a_t).sqrt()
            sigma = eta * ((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)).clamp(min=0).sqrt()
            x = a_prev.sqrt() * x0 + (1 - a_prev - sigma ** 2).clamp(min=0).sqrt() * eps
            if t_prev >= 0 and eta > 0:
                x = x + sigma * torch.randn(x.shape, generator=generator, device=x.device)
            if known is not None and t_prev >= 0:
                n = torch.randn(x.shape, generator=generator, device=x.device)
                x = mask * x + (1 - mask) * (a_prev.sqrt() * known + (1 - a_prev).sqrt() * n)
                if ramp:
                    top = (2 * mask * (1 - mask)).clamp(min=0).sqrt() * (1 - a_prev).sqrt()
                    x = x + top * torch.randn(x.shape, generator=generator, device=x.device)
    if known is not None:
        x = mask * x + (1 - mask) * known
    return x


def sdedit(model, x0: torch.Tensor, strength: float, steps: int, sched: Schedule, eta: float = 0.0,
           generator=None, mask=None, jumps: int = 0) -> torch.Tensor:
    """SDEdit (Meng et al. 2021): noise the guide x0 (in [-1, 1]) to t0 = strength * T, then denoise."""
    t0 = min(sched.T - 1, math.floor(strength * sched.T + 0.5))
    noise = torch.randn(x0.shape, generator=generator, device=x0.device)
    x_t = q_sample(x0, torch.full((x0.shape[0],), t0, dtype=torch.long, device=x0.device), noise, sched)
    return ddim_sample(model, x_t, t0, steps, sched, eta, generator, known=x0 if mask is not None else None, mask=mask,
                       jumps=jumps)
