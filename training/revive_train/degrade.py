"""Synthetic old-photo degradations for training and for the validation set.

degrade(x, rng) takes one clean image [3, H, W] in [0, 1] and returns a degraded copy, drawn from a random subset of
the operations below in a partly random order with random strengths. Everything random comes from the
`random.Random` passed in (torch noise from a torch.Generator seeded from it), so the same seed gives the same
image. A share `p_clean` of images comes back untouched, so the network learns to leave a clean photo alone.

Order: the "print" stage (fading, colour cast / dye fading, paper texture, vignetting) and the "optics / film" stage
(blur, down-up scaling, grain and noise) are shuffled among themselves and with each other, then dust and scratches
lie on the print, and JPEG (the scan being saved) comes last most of the time.
"""
import io
import math
import random

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

LUMA = torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1)


def _gen(rng: random.Random) -> torch.Generator:
    return torch.Generator().manual_seed(rng.getrandbits(62))


def _luma(x):
    return (x * LUMA).sum(0, keepdim=True)


def _conv(x, k):
    """Depthwise 2-D convolution of [3, H, W] with a [kh, kw] kernel, reflect padding."""
    kh, kw = k.shape
    xp = F.pad(x[None], (kw // 2, kw - 1 - kw // 2, kh // 2, kh - 1 - kh // 2), mode="reflect")
    return F.conv2d(xp, k.expand(x.shape[0], 1, kh, kw).contiguous(), groups=x.shape[0])[0]


def _gauss_kernel(sigma: float) -> torch.Tensor:
    r = max(1, math.ceil(2.5 * sigma))
    a = torch.arange(-r, r + 1, dtype=torch.float32)
    g = torch.exp(-0.5 * (a / sigma) ** 2)
    g = g / g.sum()
    return g[:, None] * g[None, :]


def _blur_noise(n, sigma):
    """Low-pass a noise field [C, H, W] and rescale it back to unit standard deviation."""
    if sigma <= 0.3:
        return n
    b = _conv(n, _gauss_kernel(sigma))
    return b / b.std().clamp(min=1e-6)


# ---- noise and grain --------------------------------------------------------------------------------------------

def gaussian_noise(x, rng):
    g = _gen(rng)
    sigma = rng.uniform(2, 35) / 255
    colour = rng.random() < 0.5
    n = torch.randn((3 if colour else 1,) + x.shape[1:], generator=g)
    return x + sigma * n


def poisson_noise(x, rng):
    g = _gen(rng)
    peak = 10 ** rng.uniform(1.3, 3.0)  # photons at white
    if rng.random() < 0.5:
        return torch.poisson(x.clamp(0, 1) * peak, generator=g) / peak
    y = _luma(x.clamp(0, 1))
    return x + (torch.poisson(y * peak, generator=g) / peak - y)


def film_grain(x, rng):
    """Luminance-correlated grain: blurred noise, strongest in the mid-tones, mono or coloured (dye clouds)."""
    g = _gen(rng)
    amp = rng.uniform(0.02, 0.12)
    size = rng.uniform(0.3, 1.4)
    colour = rng.random() < 0.4
    n = _blur_noise(torch.randn((3 if colour else 1,) + x.shape[1:], generator=g), size)
    y = _luma(x.clamp(0, 1))
    weight = (4 * y * (1 - y)).clamp(min=0.15) ** rng.uniform(0.5, 1.0)
    return x + amp * weight * n


def _demosaic_bilinear(raw, mask):
    """Bilinear demosaic of a Bayer mosaic: raw [1, H, W], mask [3, H, W] (1 where the pixel measured that colour)."""
    k = torch.tensor([[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]])
    num = _conv((raw * mask).contiguous(), k)
    den = _conv(mask.contiguous(), k)
    return num / den.clamp(min=1e-6)


def camera_noise(x, rng):
    """Sensor noise as a camera's processing leaves it (real photos such as PolyU's, not white noise): the photo is
    taken back to a linear RGGB mosaic (inverse gamma, inverse white balance), shot + read noise is added there, and
    the noise goes through the camera's processing (bilinear demosaic, white balance, gamma), often its chroma noise
    reduction and sharpening. Only the noise passes through the processing: the clean photo stays the target, so the
    network learns to remove the noise, not to undo a demosaic. The camera's JPEG comes later in degrade()."""
    g = _gen(rng)
    _, h, w = x.shape
    gamma = rng.uniform(2.0, 2.4)
    wb = torch.tensor([rng.uniform(1.5, 2.4), 1.0, rng.uniform(1.3, 2.0)]).view(3, 1, 1)
    lin = x.clamp(0, 1) ** gamma / wb
    oy, ox = rng.randint(0, 1), rng.randint(0, 1)
    yy = (torch.arange(h)[:, None] + oy) % 2
    xx = (torch.arange(w)[None, :] + ox) % 2
    mask = torch.stack([(yy == 0) & (xx == 0), (yy + xx) == 1, (yy == 1) & (xx == 1)]).float()
    raw = (lin * mask).sum(0, keepdim=True)
    shot = 10 ** rng.uniform(-4.0, -2.2)  # variance per unit signal: low to high ISO
    read = 10 ** rng.uniform(-3.6, -2.2)  # read-noise sigma
    n = torch.randn(raw.shape, generator=g) * (shot * raw + read ** 2).sqrt()
    noisy = _demosaic_bilinear(raw + n, mask)
    clean = _demosaic_bilinear(raw, mask)
    to_srgb = lambda v: (v * wb).clamp(1e-6, 1) ** (1 / gamma)
    res = to_srgb(noisy) - to_srgb(clean)
    if rng.random() < 0.6:  # chroma noise reduction: blur the noise's colour, keep its luma
        l = _luma(res)
        res = l + _conv((res - l).contiguous(), _gauss_kernel(rng.uniform(1.0, 3.0)))
    if rng.random() < 0.4:  # sharpening makes the noise coarser and stronger
        res = res + rng.uniform(0.3, 1.0) * (res - _conv(res.contiguous(), _gauss_kernel(rng.uniform(0.7, 1.5))))
    return x + res


# ---- blur and resolution ----------------------------------------------------------------------------------------

def gaussian_blur(x, rng):
    return _conv(x, _gauss_kernel(rng.uniform(0.4, 2.0)))


def defocus_blur(x, rng):
    r = rng.uniform(0.8, 2.5)
    n = math.ceil(r)
    a = torch.arange(-n, n + 1, dtype=torch.float32)
    d = (a[:, None] ** 2 + a[None, :] ** 2).sqrt()
    k = (r + 0.5 - d).clamp(0, 1)  # anti-aliased disk
    return _conv(x, k / k.sum())


def motion_blur(x, rng):
    length = rng.uniform(2, 7)
    ang = rng.uniform(0, math.pi)
    n = math.ceil(length / 2)
    a = torch.arange(-n, n + 1, dtype=torch.float32)
    yy, xx = torch.meshgrid(a, a, indexing="ij")
    along = xx * math.cos(ang) + yy * math.sin(ang)
    across = -xx * math.sin(ang) + yy * math.cos(ang)
    k = (1 - across.abs()).clamp(0, 1) * (along.abs() <= length / 2).float()
    return _conv(x, k / k.sum())


def down_up(x, rng):
    _, h, w = x.shape
    s = rng.uniform(1.25, 4.0)
    hs, ws = max(4, round(h / s)), max(4, round(w / s))
    down = rng.choice(["area", "bilinear", "bicubic", "nearest"])
    up = rng.choice(["bilinear", "bicubic", "nearest"] if rng.random() < 0.2 else ["bilinear", "bicubic"])
    kw = {} if down in ("area", "nearest") else {"align_corners": False, "antialias": True}
    y = F.interpolate(x[None], size=(hs, ws), mode=down, **kw)
    kw = {} if up == "nearest" else {"align_corners": False}
    return F.interpolate(y, size=(h, w), mode=up, **kw)[0]


def jpeg(x, rng, quality=None, q_min=15):
    q = quality if quality is not None else rng.randint(q_min, 90)
    a = (x.clamp(0, 1) * 255 + 0.5).byte().permute(1, 2, 0).numpy()
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="JPEG", quality=q, subsampling=rng.choice([0, 2, 2]))
    buf.seek(0)
    with Image.open(buf) as im:
        b = np.asarray(im.convert("RGB"))
    return torch.from_numpy(b.copy()).permute(2, 0, 1).float() / 255


# ---- fading and colour ------------------------------------------------------------------------------------------

def fade(x, rng):
    """Contrast loss, lifted blacks, dimmed whites and a gamma shift."""
    c = rng.uniform(0.6, 0.95)
    m = _luma(x).mean() if rng.random() < 0.5 else torch.tensor(0.5)
    y = m + c * (x - m)
    black = rng.uniform(0.0, 0.15)
    white = rng.uniform(0.85, 1.0)
    y = black + (white - black) * y.clamp(0, 1)
    return y.clamp(1e-4, 1) ** rng.uniform(0.8, 1.25)


def colour_cast(x, rng):
    # no full conversion to monochrome/sepia: colour that is gone cannot be restored, and a black-and-white photo
    # should stay black-and-white, so a toned print keeps part of its colour (a <= 0.6 for sepia)
    kind = rng.choice(["yellow", "sepia", "cyan", "magenta", "dye"])
    a = rng.uniform(0.2, 0.6) if kind == "sepia" else rng.uniform(0.3, 0.8)
    if kind == "yellow":
        gain = torch.tensor([1.0, rng.uniform(0.85, 0.97), rng.uniform(0.55, 0.85)]).view(3, 1, 1)
        y = x * gain + torch.tensor([0.04, 0.02, 0.0]).view(3, 1, 1) * rng.random()
    elif kind == "sepia":
        l = _luma(x)
        tint = torch.tensor([1.07, 0.95, 0.74]) + torch.tensor([rng.uniform(-0.04, 0.04) for _ in range(3)])
        y = l * tint.view(3, 1, 1)
    elif kind == "cyan":
        y = x * torch.tensor([rng.uniform(0.7, 0.92), 1.0, rng.uniform(0.95, 1.05)]).view(3, 1, 1) \
            + torch.tensor([0.0, 0.02, 0.05]).view(3, 1, 1) * rng.random()
    elif kind == "magenta":
        y = x * torch.tensor([rng.uniform(0.98, 1.05), rng.uniform(0.7, 0.9), rng.uniform(0.9, 1.05)]).view(3, 1, 1) \
            + torch.tensor([0.05, 0.0, 0.04]).view(3, 1, 1) * rng.random()
    else:  # dye fading: each dye layer fades by its own curve
        gam = torch.tensor([rng.uniform(0.7, 1.4) for _ in range(3)]).view(3, 1, 1)
        gain = torch.tensor([rng.uniform(0.8, 1.05) for _ in range(3)]).view(3, 1, 1)
        y = gain * x.clamp(1e-4, 1) ** gam
    return x + a * (y - x)


def vignette(x, rng):
    _, h, w = x.shape
    cy, cx = h * rng.uniform(0.3, 0.7), w * rng.uniform(0.3, 0.7)
    rr = max(h, w) * rng.uniform(0.6, 1.6)  # the crop may be a part of a larger print
    yy = (torch.arange(h, dtype=torch.float32)[:, None] - cy) / rr
    xx = (torch.arange(w, dtype=torch.float32)[None, :] - cx) / rr
    return x * (1 - rng.uniform(0.1, 0.6) * (yy ** 2 + xx ** 2)).clamp(0.2, 1)[None]


def paper_texture(x, rng):
    g = _gen(rng)
    _, h, w = x.shape
    fine = _blur_noise(torch.randn(1, h, w, generator=g), rng.uniform(0.5, 1.5)) * rng.uniform(0.005, 0.03)
    coarse = _blur_noise(torch.randn(1, h, w, generator=g), rng.uniform(4, 10)) * rng.uniform(0.0, 0.06)
    return x * (1 + fine + coarse)


# ---- dust, scratches, creases -----------------------------------------------------------------------------------

def _line_mask(h, w, rng, width):
    """Anti-aliased mask of a thin, slightly curved line across the image, [1, H, W]."""
    y0, x0 = rng.uniform(0, h), rng.uniform(0, w)
    ang = rng.uniform(0, math.pi)
    bend = rng.uniform(-0.004, 0.004)
    yy = torch.arange(h, dtype=torch.float32)[:, None] - y0
    xx = torch.arange(w, dtype=torch.float32)[None, :] - x0
    along = xx * math.cos(ang) + yy * math.sin(ang)
    across = -xx * math.sin(ang) + yy * math.cos(ang) - bend * along ** 2
    mask = (width / 2 + 0.5 - across.abs()).clamp(0, 1)
    length = rng.uniform(0.3, 2.0) * max(h, w)  # scratches may end inside the image
    start = rng.uniform(-length, 0.5 * length)
    mask = mask * ((along >= start) & (along <= start + length)).float()
    return mask[None]


def scratches(x, rng):
    _, h, w = x.shape
    out = x
    for _ in range(rng.randint(1, 3)):
        m = _line_mask(h, w, rng, rng.uniform(0.4, 1.8)) * rng.uniform(0.4, 1.0)
        value = rng.uniform(0.85, 1.0) if rng.random() < 0.7 else rng.uniform(0.0, 0.15)
        out = out * (1 - m) + value * m
    return out


def crease(x, rng):
    """A fold: a brighter worn line with a soft shaded band on one side."""
    _, h, w = x.shape
    m = _line_mask(h, w, rng, rng.uniform(1.0, 2.5))
    band = _conv(m.expand(3, h, w).contiguous(), _gauss_kernel(rng.uniform(1.5, 3.0)))[:1]
    return x * (1 - 0.25 * band) + m * rng.uniform(0.2, 0.6) * (1 - x)


def dust(x, rng):
    g = _gen(rng)
    _, h, w = x.shape
    count = max(1, int(h * w / 4096 * rng.uniform(0.5, 6)))
    ys = torch.rand(count, generator=g) * h
    xs = torch.rand(count, generator=g) * w
    rs = 0.4 + torch.rand(count, generator=g) ** 2 * 1.8
    dark = torch.rand(count, generator=g) < 0.5
    yy = torch.arange(h, dtype=torch.float32).view(1, h, 1)
    xx = torch.arange(w, dtype=torch.float32).view(1, 1, w)
    d = ((yy - ys.view(-1, 1, 1)) ** 2 + (xx - xs.view(-1, 1, 1)) ** 2).sqrt()
    m = (rs.view(-1, 1, 1) + 0.5 - d).clamp(0, 1)
    bright = (m * (~dark).float().view(-1, 1, 1)).amax(0, keepdim=True)
    darkm = (m * dark.float().view(-1, 1, 1)).amax(0, keepdim=True)
    out = x * (1 - bright) + rng.uniform(0.85, 1.0) * bright
    return out * (1 - darkm) + rng.uniform(0.0, 0.15) * darkm


# ---- the pipeline -----------------------------------------------------------------------------------------------

PRINT = [(fade, 0.35), (colour_cast, 0.35), (paper_texture, 0.2), (vignette, 0.15)]
OPTICS = [("blur", 0.45), (down_up, 0.3), ("noise", 0.7)]
MARKS = [(dust, 0.25), (scratches, 0.15), (crease, 0.05)]
BLURS = [gaussian_blur, defocus_blur, motion_blur]
NOISES = [gaussian_noise, poisson_noise, film_grain, film_grain]


def plain_gaussian(x, rng):
    """Additive white Gaussian noise, independent per channel, sigma 5-50 (0..255 scale), not clipped: the
    standard denoising setting, mixed in with `p_gauss` so the blind model also learns strong sensor noise."""
    return x + rng.uniform(5, 50) / 255 * torch.randn(x.shape, generator=_gen(rng))


# mix "v3" (2026-12-07): the damage the local network is for once the tone stage and "keep the photo's tones" do
# the rest. No fading, colour casts or vignetting (broad changes the engine throws away), camera noise among the
# noises and alone, JPEG down to quality 10 and alone.
PRINT_V3 = [(paper_texture, 0.2)]
NOISES_V3 = [gaussian_noise, poisson_noise, film_grain, film_grain, camera_noise, camera_noise]
P_CAMERA_V3 = 0.15  # share of the damaged inputs that are camera noise alone (then the camera's JPEG, q 60-95)
P_JPEG_V3 = 0.1  # share that are a JPEG alone, quality 10-50
# mix "v3c" (2026-12-08): v3 with camera noise alone in 35 % of the damaged inputs: DiffLoss snapshots trained longer on
# v3 lost on PolyU's real camera shots (docs/training/restorer.md), the one measure that held them back
P_CAMERA_V3C = 0.35


def degrade(x: torch.Tensor, rng: random.Random, p_clean: float = 0.1, p_gauss: float = 0.0,
            mix: str = "v2") -> torch.Tensor:
    """One clean image [3, H, W] in [0, 1] -> degraded [3, H, W] (in [0, 1] except in the plain-Gaussian share).
    p_gauss = 0 and mix "v2" draw exactly the same random numbers as before those options existed (the validation
    set and earlier training steps stay reproducible)."""
    if rng.random() < p_clean:
        return x.clone()
    if p_gauss and rng.random() < p_gauss:
        return plain_gaussian(x, rng).float()
    v3 = mix in ("v3", "v3c")
    if v3:
        u = rng.random()
        p_camera = P_CAMERA_V3C if mix == "v3c" else P_CAMERA_V3
        if u < p_camera:
            y = camera_noise(x, rng).clamp(0, 1)
            return (jpeg(y, rng, quality=rng.randint(60, 95)) if rng.random() < 0.8 else y).float()
        if u < p_camera + P_JPEG_V3:
            return jpeg(x, rng, quality=rng.randint(10, 50)).float()
    ops = [f for f, p in (PRINT_V3 if v3 else PRINT) + OPTICS if rng.random() < p]
    rng.shuffle(ops)
    ops += [f for f, p in MARKS if rng.random() < p]
    if rng.random() < 0.5:
        ops.insert(len(ops) if rng.random() < 0.8 else rng.randint(0, len(ops)), jpeg)
    if not ops:
        ops = [rng.choice(["noise", "blur", jpeg, jpeg if v3 else fade])]
    y = x
    for f in ops:
        if f == "blur":
            f = rng.choice(BLURS)
        elif f == "noise":
            f = rng.choice(NOISES_V3 if v3 else NOISES)
        y = (jpeg(y, rng, q_min=10) if v3 and f is jpeg else f(y, rng)).clamp(0, 1)
    return y.float()


def degrade_batch(x: torch.Tensor, rng: random.Random, p_clean: float = 0.1, p_gauss: float = 0.0,
                  mix: str = "v2") -> torch.Tensor:
    return torch.stack([degrade(xi, rng, p_clean, p_gauss, mix) for xi in x])


def add_gaussian(x: torch.Tensor, sigma: float, seed: int) -> torch.Tensor:
    """Seeded additive white Gaussian noise (sigma on the 0..255 scale), not clipped: the standard benchmark."""
    g = torch.Generator().manual_seed(seed)
    return x + sigma / 255 * torch.randn(x.shape, generator=g)


def step_seed(seed: int, step: int, stream: int) -> int:
    return (seed * 1_000_003 + step) * 8 + stream


def make_batch(sampler, cfg, step: int):
    """(degraded, clean) training batch for this step of a RestorerConfig: a pure function of (cfg.seed, step), so
    both arms (and a resumed run) see the same batches. `sampler` is a data.CropSampler."""
    sampler.rng = random.Random(step_seed(cfg.seed, step, 0))
    clean = sampler.batch(cfg.batch)
    p_gauss = cfg.p_gauss if step >= cfg.p_gauss_from else 0.0
    deg = degrade_batch(clean, random.Random(step_seed(cfg.seed, step, 1)), cfg.p_clean, p_gauss, cfg.mix)
    return deg, clean
