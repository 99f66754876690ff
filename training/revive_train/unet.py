"""The diffusion prior's noise-prediction UNet.

Fully convolutional, no attention: it runs on any H, W that is a multiple of `stride` and a tile gives the same
answer as the whole image away from its border. The input is first folded 2x2 into channels (pixel-unshuffle, as a
patch size of 2 in DiT) so the widest layers run at half resolution, which is what makes one step cheap on a CPU.

forward(x_t, t) -> epsilon; forward(x_t, t, return_features=True) -> (epsilon, bottleneck features), the
bottleneck being the middle block's output, which DiffLoss's semantic term compares.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of (float) timesteps, as in DDPM / Transformer."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


def norm(ch: int) -> nn.GroupNorm:
    groups = max(g for g in range(1, 33) if ch % g == 0 and ch // g >= 4)
    return nn.GroupNorm(groups, ch)


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, temb: int, dropout: float = 0.0):
        super().__init__()
        self.norm1 = norm(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(temb, 2 * cout)  # scale and shift (FiLM)
        self.norm2 = norm(cout)
        self.drop = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.temb(emb)[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        h = self.conv2(self.drop(F.silu(h)))
        return self.skip(x) + h


class UNet(nn.Module):
    def __init__(self, ch: int = 64, mults=(1, 2, 3), num_res_blocks: int = 1, patch: int = 2,
                 dropout: float = 0.0, mid_blocks: int = 2):
        super().__init__()
        self.patch = patch
        self.stride = patch * 2 ** (len(mults) - 1)
        temb = ch * 4
        self.temb_dim = ch
        self.time_mlp = nn.Sequential(nn.Linear(ch, temb), nn.SiLU(), nn.Linear(temb, temb))
        self.inp = nn.Conv2d(3 * patch * patch, ch, 3, padding=1)

        chans = [ch * m for m in mults]
        self.down = nn.ModuleList()
        skips = [ch]
        c = ch
        for i, co in enumerate(chans):
            for _ in range(num_res_blocks):
                self.down.append(ResBlock(c, co, temb, dropout))
                c = co
                skips.append(c)
            if i < len(chans) - 1:
                self.down.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
                skips.append(c)
        self.mid = nn.ModuleList([ResBlock(c, c, temb, dropout) for _ in range(mid_blocks)])
        self.up = nn.ModuleList()
        for i, co in reversed(list(enumerate(chans))):
            for _ in range(num_res_blocks + 1):
                self.up.append(ResBlock(c + skips.pop(), co, temb, dropout))
                c = co
            if i > 0:
                self.up.append(nn.Upsample(scale_factor=2, mode="nearest"))
                self.up.append(nn.Conv2d(c, c, 3, padding=1))
        self.out_norm = norm(c)
        self.out = nn.Conv2d(c, 3 * patch * patch, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x, t, return_features: bool = False):
        emb = self.time_mlp(timestep_embedding(t, self.temb_dim))
        h = F.pixel_unshuffle(x, self.patch) if self.patch > 1 else x
        h = self.inp(h)
        hs = [h]
        for m in self.down:
            h = m(h, emb) if isinstance(m, ResBlock) else m(h)
            hs.append(h)
        for m in self.mid:
            h = m(h, emb)
        feats = h
        for m in self.up:
            if isinstance(m, ResBlock):
                h = m(torch.cat([h, hs.pop()], dim=1), emb)
            else:
                h = m(h)
        eps = self.out(F.silu(self.out_norm(h)))
        eps = F.pixel_shuffle(eps, self.patch) if self.patch > 1 else eps
        return (eps, feats) if return_features else eps


def count_macs(model: nn.Module, h: int, w: int) -> int:
    """Multiply-accumulates of one forward pass on a 1x3xHxW input (convolutions and linears)."""
    macs = 0

    def conv_hook(m, inp, out):
        nonlocal macs
        macs += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def lin_hook(m, inp, out):
        nonlocal macs
        macs += out.numel() * m.in_features

    hooks = [m.register_forward_hook(conv_hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    hooks += [m.register_forward_hook(lin_hook) for m in model.modules() if isinstance(m, nn.Linear)]
    with torch.no_grad():
        model(torch.zeros(1, 3, h, w), torch.zeros(1))
    for hk in hooks:
        hk.remove()
    return macs
