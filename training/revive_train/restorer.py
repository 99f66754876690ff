"""The restoration network: a compact NAFNet-style U-Net (Chen et al. 2022, "Simple Baselines for Image Restoration").

- The input is folded 2x2 into channels (pixel-unshuffle) so the first level already runs at half resolution; the
  encoder halves the resolution with 2x2 stride-2 convolutions, the decoder doubles it with 1x1 conv + pixel-shuffle,
  and skip connections are added (not concatenated), as in NAFNet.
- Blocks are NAFNet blocks without the global channel attention (it would make a tile's answer depend on the whole
  tile, i.e. seams when the app tiles a large photo): LayerNorm2d over channels, 1x1 expand, 3x3 depthwise, simple gate
  (x1 * x2), 1x1 project; then a gated feed-forward. Every operation is local, so the network is fully convolutional.
- LayerNorm2d is written with ReduceMean/Sub/Mul/Sqrt so it exports to ONNX opset 17 as plain element-wise ops.
- Output = input + delta (residual): a zero delta returns the photo untouched.
- H and W must be multiples of `size_multiple` = 2 * 2 ** len(enc_blocks) (16 with the default 3 levels).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class LayerNorm2d(nn.Module):
    def __init__(self, ch: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(1, ch, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1, ch, 1, 1))
        self.eps = eps

    def forward(self, x):
        mu = x.mean(1, keepdim=True)
        d = x - mu
        var = (d * d).mean(1, keepdim=True)
        return d / torch.sqrt(var + self.eps) * self.weight + self.bias


class SimpleGate(nn.Module):
    def forward(self, x):
        a, b = x.chunk(2, dim=1)
        return a * b


class NAFBlock(nn.Module):
    def __init__(self, c: int, dw_expand: int = 2, ffn_expand: int = 2):
        super().__init__()
        dw = c * dw_expand
        self.norm1 = LayerNorm2d(c)
        self.conv1 = nn.Conv2d(c, dw, 1)
        self.conv2 = nn.Conv2d(dw, dw, 3, padding=1, groups=dw)
        self.conv3 = nn.Conv2d(dw // 2, c, 1)
        self.norm2 = LayerNorm2d(c)
        self.conv4 = nn.Conv2d(c, c * ffn_expand, 1)
        self.conv5 = nn.Conv2d(c * ffn_expand // 2, c, 1)
        self.sg = SimpleGate()
        # learnable residual scales, zero at init: each block starts as the identity
        self.beta = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.gamma = nn.Parameter(torch.zeros(1, c, 1, 1))

    def forward(self, x):
        y = self.conv3(self.sg(self.conv2(self.conv1(self.norm1(x)))))
        x = x + y * self.beta
        y = self.conv5(self.sg(self.conv4(self.norm2(x))))
        return x + y * self.gamma


class Restorer(nn.Module):
    def __init__(self, width: int = 32, enc_blocks=(2, 2, 4), mid_blocks: int = 6, dec_blocks=(2, 2, 2),
                 unshuffle: int = 2):
        super().__init__()
        assert len(enc_blocks) == len(dec_blocks)
        self.unshuffle = unshuffle
        self.size_multiple = unshuffle * 2 ** len(enc_blocks)
        self.intro = nn.Conv2d(3 * unshuffle ** 2, width, 3, padding=1)
        self.encoders, self.downs, self.ups, self.decoders = (nn.ModuleList() for _ in range(4))
        c = width
        for n in enc_blocks:
            self.encoders.append(nn.Sequential(*[NAFBlock(c) for _ in range(n)]))
            self.downs.append(nn.Conv2d(c, 2 * c, 2, stride=2))
            c *= 2
        self.middle = nn.Sequential(*[NAFBlock(c) for _ in range(mid_blocks)])
        for n in dec_blocks:
            self.ups.append(nn.Sequential(nn.Conv2d(c, 2 * c, 1, bias=False), nn.PixelShuffle(2)))
            c //= 2
            self.decoders.append(nn.Sequential(*[NAFBlock(c) for _ in range(n)]))
        self.ending = nn.Conv2d(width, 3 * unshuffle ** 2, 3, padding=1)
        nn.init.zeros_(self.ending.weight)  # delta = 0 at init: the untrained network returns its input
        nn.init.zeros_(self.ending.bias)

    def forward(self, x):
        h = F.pixel_unshuffle(x, self.unshuffle) if self.unshuffle > 1 else x
        h = self.intro(h)
        skips = []
        for enc, down in zip(self.encoders, self.downs):
            h = enc(h)
            skips.append(h)
            h = down(h)
        h = self.middle(h)
        for dec, up, skip in zip(self.decoders, self.ups, reversed(skips)):
            h = dec(up(h) + skip)
        d = self.ending(h)
        d = F.pixel_shuffle(d, self.unshuffle) if self.unshuffle > 1 else d
        return x + d


def count_macs(model: nn.Module, h: int, w: int) -> int:
    """Multiply-accumulates of one forward pass on 1x3xHxW (convolutions only; norms and gates are element-wise)."""
    macs = 0

    def hook(m, inp, out):
        nonlocal macs
        macs += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    hooks = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        model(torch.zeros(1, 3, h, w))
    for hk in hooks:
        hk.remove()
    return macs


def gmac_per_mp(model: nn.Module, size: int = 256) -> float:
    """GMAC per megapixel = MAC per pixel / 1000."""
    return count_macs(model, size, size) / (size * size) / 1e3


def pad_to_multiple(x: torch.Tensor, m: int):
    """Reflect-pad [N, 3, H, W] on the bottom/right to multiples of m; returns (padded, (H, W))."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % m, (-w) % m
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="reflect")
    return x, (h, w)
