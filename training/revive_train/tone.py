"""The tone-and-colour model: it looks at the whole photo downscaled and predicts one global colour mapping.

The mapping, what the app applies per pixel at full resolution (src/shared/tone.ts does the same in TypeScript):
    v   = clamp(M @ rgb + m, 0, 1)                 # M 3x3, m 3: an affine colour matrix ("matrix" arm; identity in
                                                   #   the "curves" arm)
    out = clamp(curve_c(v_c), 0, 1) per channel    # through K knots (x, y), linear in between, slope 1 beyond
The knots' x are the photo's own quantiles (after the affine step) and the network says where each goes (its y): a
histogram-matching parametrisation, so knots sit where the photo has values (a faded print's narrow range gets all
of them) and the network's task is to know what a natural photo's histogram looks like.
The network sees a THUMB x THUMB thumbnail (adaptive average pooling of the whole photo, aspect ignored) and
returns `affine` [N, 3, 4], `knots_x` and `knots_y` [N, 3, K]. Its last layers start at zero, which is exactly the
identity mapping, so an untrained model leaves photos alone.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

THUMB = 64
SOFTPLUS_ONE = math.log(math.e - 1)  # softplus(SOFTPLUS_ONE) == 1


def thumbnail(x: torch.Tensor, size: int = THUMB) -> torch.Tensor:
    """[N, 3, H, W] or [3, H, W] -> the same with size x size, by adaptive average pooling (what the engine does)."""
    return F.adaptive_avg_pool2d(x, size)


class ToneNet(nn.Module):
    def __init__(self, arm: str = "matrix", knots: int = 17, widths=(16, 24, 32, 48), hidden: int = 64):
        super().__init__()
        if arm not in ("curves", "matrix"):
            raise ValueError(f"unknown arm {arm}")
        self.arm, self.knots = arm, knots
        layers, c = [], 3
        for w in widths:
            layers += [nn.Conv2d(c, w, 3, stride=2, padding=1), nn.LeakyReLU(0.1)]
            c = w
        self.cnn = nn.Sequential(*layers)
        self.n_affine = 12 if arm == "matrix" else 0
        feat = 2 * c + 3 * knots + 3
        self.mlp = nn.Sequential(nn.Linear(feat, hidden), nn.LeakyReLU(0.1), nn.Linear(hidden, hidden),
                                 nn.LeakyReLU(0.1))
        self.head_affine = nn.Linear(hidden, self.n_affine) if self.n_affine else None
        self.head_curves = nn.Linear(feat + hidden, 3 * knots)
        self.head_damage = nn.Linear(hidden, 1)  # logit of "this photo is damaged": the mapping's amount
        for h in (self.head_affine, self.head_curves):
            if h is not None:
                nn.init.zeros_(h.weight)
                nn.init.zeros_(h.bias)
        self.register_buffer("q_index", torch.linspace(0, THUMB * THUMB - 1, knots).round().long(), persistent=False)

    def quantiles(self, flat):
        return flat.sort(dim=2).values[:, :, self.q_index]  # [N, 3, K]

    def features(self, x, q):
        n = x.shape[0]
        f = self.cnn(x * 2 - 1)
        flat = x.reshape(n, 3, -1)
        chroma = (flat - flat.mean(1, keepdim=True)).abs().mean(2)  # [N, 3]
        return torch.cat([f.mean((2, 3)), f.amax((2, 3)), q.reshape(n, -1), chroma * 4], 1)

    def forward(self, x, with_logit: bool = False):
        """x: thumbnail [N, 3, THUMB, THUMB] in [0, 1] -> (affine [N, 3, 4], knots_x [N, 3, K], knots_y [N, 3, K],
        amount [N]: how sure the network is that the photo is damaged, the share of the mapping to apply; with
        with_logit, its logit instead)."""
        n = x.shape[0]
        flat = x.reshape(n, 3, -1)
        feat = self.features(x, self.quantiles(flat))
        h = self.mlp(feat)
        eye = torch.eye(3, 4, device=x.device, dtype=x.dtype)
        affine = eye + 0.5 * self.head_affine(h).reshape(n, 3, 4) if self.n_affine else eye.expand(n, 3, 4)
        v = (torch.bmm(affine[:, :, :3], flat) + affine[:, :, 3:]).clamp(0, 1)
        qx = self.quantiles(v)  # the knots: quantiles of the photo after the affine step
        r = self.head_curves(torch.cat([feat, h], 1)).reshape(n, 3, self.knots)
        # the answer: where each quantile goes; identity at r = 0, non-decreasing by construction
        y0 = qx[:, :, :1] + 0.5 * r[:, :, :1]
        inc = (qx[:, :, 1:] - qx[:, :, :-1]) * torch.exp(r[:, :, 1:].clamp(-4, 4))
        qy = torch.cat([y0, y0 + inc.cumsum(2)], 2)
        logit = self.head_damage(h)[:, 0]
        return affine, qx, qy, (logit if with_logit else torch.sigmoid(logit))


def interp(v: torch.Tensor, kx: torch.Tensor, ky: torch.Tensor) -> torch.Tensor:
    """Piecewise-linear curve through knots (kx non-decreasing, ky) per row, slope 1 beyond the ends.
    v [N, C, P], kx/ky [N, C, K] -> [N, C, P]."""
    k = kx.shape[2]
    idx = (v[..., None] >= kx[:, :, None, :]).sum(-1) - 1  # [N, C, P] in [-1, K-1]
    idx = idx.clamp(0, k - 2)
    x0, x1 = kx.gather(2, idx), kx.gather(2, idx + 1)
    y0, y1 = ky.gather(2, idx), ky.gather(2, idx + 1)
    t = ((v - x0) / (x1 - x0).clamp(min=1e-6)).clamp(0, 1)
    lo, hi = kx[:, :, :1], kx[:, :, -1:]
    return y0 + t * (y1 - y0) + (v - torch.maximum(torch.minimum(v, hi), lo))


def apply_mapping(x: torch.Tensor, affine: torch.Tensor, kx: torch.Tensor, ky: torch.Tensor,
                  amount: torch.Tensor = None) -> torch.Tensor:
    """x [N, 3, H, W] in [0, 1], affine [N, 3, 4], knots [N, 3, K], amount [N] (None = 1) -> [N, 3, H, W] in [0, 1]:
    x + amount * (mapping(x) - x)."""
    n, _, h, w = x.shape
    flat = x.reshape(n, 3, -1)
    v = (torch.bmm(affine[:, :, :3], flat) + affine[:, :, 3:]).clamp(0, 1)
    y = interp(v, kx, ky).clamp(0, 1).reshape(n, 3, h, w)
    return y if amount is None else x + amount.view(n, 1, 1, 1) * (y - x)


def identity_mapping(n: int = 1, knots: int = 17):
    g = torch.linspace(0, 1, knots).expand(n, 3, knots).clone()
    return torch.eye(3, 4).expand(n, 3, 4).clone(), g, g.clone()


def oracle_affine(deg: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
    """The per-photo least-squares affine colour fit (3x4) of deg to clean, applied and clipped: the reference a
    global linear colour correction could reach with the answer known. [3, H, W] each -> [3, H, W]."""
    a = torch.cat([deg.reshape(3, -1), torch.ones(1, deg[0].numel())], 0).double().T  # [P, 4]
    b = clean.reshape(3, -1).double().T
    sol = torch.linalg.lstsq(a, b).solution  # [4, 3]
    return (a @ sol).T.reshape(deg.shape).clamp(0, 1).float()


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
