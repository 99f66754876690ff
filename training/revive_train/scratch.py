"""The scratch stage's two networks: a detector that marks damaged pixels, and a mask-conditioned fill.

Both are one small fully convolutional UNet (LiteUNet): 2x2 pixel-unshuffle in (so the widest convolutions run at half
resolution without losing a pixel: a 1 px scratch stays visible), four levels down to 1/16 (a receptive field of
about 150 px: wide cracks and the context that tells a scratch from a wire), nearest upsampling with skip additions,
plain 3x3 convolutions and ReLU (what onnxruntime runs fastest on a CPU), and a 2x2 pixel shuffle out.

- ScratchDetector: RGB [N, 3, H, W] in [0, 1] -> logit [N, 1, H, W] (sigmoid: the damage probability);
  ScratchEnsemble: the mean logit of several of them.
- ScratchFill: (RGB, mask [N, 1, H, W], 1 = fill) -> RGB. Inside the graph the masked pixels are first filled by
  push-pull (a masked image pyramid, each hole taking the average of its surroundings at the finest level that has
  any), then the network adds texture and structure to that, and the result is composited: unmasked pixels are the
  input exactly. H and W must be multiples of 2 ** PP_LEVELS (32).

The masks the stage fills from (targets) and what counts as damage (damage_target) are defined here so training,
evaluation and the engine agree.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

PP_LEVELS = 5
SIZE_MULTIPLE = 32


def conv(cin: int, cout: int, stride: int = 1) -> nn.Module:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.ReLU(inplace=True))


class LiteUNet(nn.Module):
    def __init__(self, cin: int, cout: int, widths=(24, 32, 48, 64)):
        super().__init__()
        w0, w1, w2, w3 = widths
        self.inc = nn.Sequential(conv(4 * cin, w0), conv(w0, w0))
        self.d1 = nn.Sequential(conv(w0, w1, 2), conv(w1, w1))
        self.d2 = nn.Sequential(conv(w1, w2, 2), conv(w2, w2))
        self.d3 = nn.Sequential(conv(w2, w3, 2), conv(w3, w3), conv(w3, w3))
        self.u3 = conv(w3, w2)
        self.m2 = conv(w2, w2)
        self.u2 = conv(w2, w1)
        self.m1 = conv(w1, w1)
        self.u1 = conv(w1, w0)
        self.m0 = conv(w0, w0)
        self.out = nn.Conv2d(w0, 4 * cout, 3, 1, 1)

    def forward(self, x):
        x = F.pixel_unshuffle(x, 2)
        e0 = self.inc(x)
        e1 = self.d1(e0)
        e2 = self.d2(e1)
        e3 = self.d3(e2)
        up = lambda t: F.interpolate(t, scale_factor=2.0, mode="nearest")
        y = self.m2(self.u3(up(e3)) + e2)
        y = self.m1(self.u2(up(y)) + e1)
        y = self.m0(self.u1(up(y)) + e0)
        return F.pixel_shuffle(self.out(y), 2)


class ScratchDetector(nn.Module):
    def __init__(self, widths=(24, 32, 48, 64)):
        super().__init__()
        self.net = LiteUNet(3, 1, widths)

    def forward(self, x):
        return self.net(x * 2 - 1)


class ScratchEnsemble(nn.Module):
    """Several detectors of the same shape whose logits are averaged: one graph, one file (members trained apart:
    one from the other's weights with hard negatives, scratch_mine.py). Costs the sum of its members."""

    def __init__(self, widths=(24, 32, 48, 64), members: int = 2):
        super().__init__()
        self.members = nn.ModuleList([ScratchDetector(widths) for _ in range(members)])

    def forward(self, x):
        return sum(m(x) for m in self.members) / len(self.members)


def push_pull(x: torch.Tensor, known: torch.Tensor, levels: int = PP_LEVELS, eps: float = 1e-4) -> torch.Tensor:
    """Fills the unknown pixels of x from the known ones (known: [N, 1, H, W] in {0, 1}): pull the masked image and
    the mask down a pyramid by 2x2 averaging, then push back up, each level keeping its own (normalised) value where
    it had enough known pixels and taking the upsampled coarser fill elsewhere. H, W multiples of 2 ** levels."""
    xs, ms = [x * known], [known]
    for _ in range(levels):
        xs.append(F.avg_pool2d(xs[-1], 2))
        ms.append(F.avg_pool2d(ms[-1], 2))
    f = xs[-1] / (ms[-1] + eps)
    for i in range(levels - 1, -1, -1):
        up = F.interpolate(f, scale_factor=2.0, mode="bilinear", align_corners=False)
        w = (ms[i] * 4).clamp(max=1.0)
        f = w * (xs[i] / (ms[i] + eps)) + (1 - w) * up
    return f


class ScratchFill(nn.Module):
    """guided=True: the network also sees the pixels under the mask, when `guide` (a [N, 1, 1, 1] tensor of 0 or 1;
    1 when None) says it may: a mask from the detector is a guess, and under a wrong mark (a wire, a chain, a
    window frame) the photo's own structure is given back; where a scratch is half transparent, what shows through
    is used. guide = 0 is the plain fill (a mask the person painted: whatever is under it goes)."""

    def __init__(self, widths=(24, 32, 48, 64), guided: bool = False, gate: bool = False, reach: int = 0):
        super().__init__()
        self.guided, self.gate, self.reach = guided, gate and guided, reach
        self.net = LiteUNet(8 if guided else 4, 4 if self.gate else 3, widths)

    def forward(self, x, mask, guide=None):
        known = 1 - mask
        pp = x * known + push_pull(x, known) * mask
        inp = [pp * 2 - 1, mask]
        if self.guided:
            g = mask if guide is None else mask * guide
            if self.reach:  # only within `reach` px of the unmasked photo: a wide hole (a torn corner) is just filled
                g = g * F.max_pool2d(known, 2 * self.reach + 1, 1, self.reach)
            inp += [(x * 2 - 1) * g, g]
        out = self.net(torch.cat(inp, 1))
        if self.gate:
            # gate: how much of the pixel under the mask is kept (the photo's own structure under a wrong mark);
            # 0 where not guided, so the plain fill is the fill alone
            keep = torch.sigmoid(out[:, 3:]) * g
            y = (pp + out[:, :3]) * (1 - keep) + x * keep
        else:
            y = pp + out
        return (x * known + y * mask).clamp(0, 1)


def widen_fill_state(sd: dict, prefix: str = "fill.") -> dict:
    """A plain fill's weights for a guided fill: its first convolution gets zero weights for the four new input
    channels (16 after the 2x2 unshuffle), so the guided network starts as exactly the plain one."""
    k = prefix + "net.inc.0.0.weight"
    if k in sd and sd[k].shape[1] == 16:
        w = sd[k]
        sd = {**sd, k: torch.cat([w, torch.zeros_like(w)], 1)}
    return sd


def gate_fill_state(sd: dict, prefix: str = "fill.", bias: float = -4.0) -> dict:
    """A guided fill's weights for a gated one: a fourth output (the keep gate, 4 channels before the 2x2 shuffle)
    with zero weights and a bias of `bias` (sigmoid(-4) = 0.018: it starts as nearly the fill alone)."""
    kw, kb = prefix + "net.out.weight", prefix + "net.out.bias"
    if kw in sd and sd[kw].shape[0] == 12:
        w, b = sd[kw], sd[kb]
        sd = {**sd, kw: torch.cat([w, torch.zeros_like(w[:4])], 0), kb: torch.cat([b, torch.full_like(b[:4], bias)])}
    return sd


def damage_target(alpha: torch.Tensor, damaged: torch.Tensor, clean: torch.Tensor, lo: float = 0.05,
                  vis: float = 0.04) -> tuple:
    """What the detector should mark: pixels the damage covers (alpha > 0.25) and visibly changed (some channel moved
    by more than `vis`). Pixels the damage touches only lightly or invisibly are left out of the loss (weight 0).
    Returns (target {0, 1}, weight {0, 1}), each [N, 1, H, W]."""
    change = (damaged - clean).abs().amax(1, keepdim=True)
    target = ((alpha > 0.25) & (change > vis)).float()
    weight = 1 - ((alpha > lo) & (target == 0)).float()
    return target, weight


def fill_mask(alpha: torch.Tensor) -> torch.Tensor:
    """The mask the fill is trained with: every pixel the damage touches (alpha > 0.05), grown by one pixel (what the
    engine does to the detector's mask too: scratch edges are soft)."""
    m = (alpha > 0.05).float()
    return F.max_pool2d(m, 3, 1, 1)


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def gmac_per_mp(m: nn.Module) -> float:
    """Multiply-accumulates of the convolutions per megapixel of input (counted at 256x256)."""
    total = 0
    hooks = []

    def hook(mod, inp, out):
        nonlocal total
        total += out.numel() // out.shape[0] * mod.in_channels * mod.kernel_size[0] * mod.kernel_size[1] // mod.groups

    for mod in m.modules():
        if isinstance(mod, nn.Conv2d):
            hooks.append(mod.register_forward_hook(hook))
    x = torch.rand(1, 3, 256, 256)
    with torch.no_grad():
        m(x) if isinstance(m, (ScratchDetector, ScratchEnsemble)) else m(x, torch.zeros(1, 1, 256, 256))
    for h in hooks:
        h.remove()
    return total / (256 * 256) / 1e3
