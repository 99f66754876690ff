"""The print stage of the degradation pipeline: what time does to a photographic print's tones and colours.

print_damage(x, rng) takes a clean image [3, H, W] in [0, 1] and returns it as an old print would show it. Every
operation is global (the same function of the pixel value everywhere) except a mild vignette and paper yellowing
that is uneven across the print, so a global colour mapping can undo most of it but not all, as with real prints:

- uneven dye fading: each dye layer (cyan, magenta, yellow: the red, green, blue records) loses density by its own
  amount and curve, the classic magenta (cyan dye gone) or cyan (magenta gone) shift of 1960s-80s prints, or yellow
  (the yellow dye or the paper base turns);
- lifted and coloured blacks (the darkest dye density lost, often unevenly per dye), dimmed and coloured whites
  (yellowed paper base);
- contrast loss and a gamma shift; low key (a dark, under-exposed or darkened print) and high key (washed out);
- desaturation, and partial toning or sepia (the print's colour mixed with a toned monochrome);
- black-and-white prints: bw_print(x) makes the clean monochrome photo; its damage is fading plus a tone (sepia,
  selenium, yellowed paper) and never invents colour beyond one hue.

Everything random comes from the `random.Random` passed in, so a seed gives the same print.
make_batch makes the tone model's seeded training batches from it (train_tone.py; export_tone.py's gate).
"""
import math
import random

import torch
import torch.nn.functional as F

from .data import TRAIN_FOLDERS, list_images, load_rgb
from .degrade import step_seed
from .paths import RUNS
from .tone import thumbnail

LUMA = torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1)


def luma(x: torch.Tensor) -> torch.Tensor:
    return (x * LUMA).sum(-3, keepdim=True)


def bw_print(x: torch.Tensor) -> torch.Tensor:
    """The clean black-and-white version of a photo: its luma in all three channels."""
    return luma(x).expand_as(x).contiguous()


def _v(a, b, c) -> torch.Tensor:
    return torch.tensor([a, b, c], dtype=torch.float32).view(3, 1, 1)


# ---- the operations, each x [3, H, W] in [0, 1] -> same --------------------------------------------------------

def dye_fade(x, rng):
    """Each dye fades by its own amount: per channel gain towards white (the record gets lighter as its dye is lost),
    gamma and a little offset. kind picks the dominant shift."""
    kind = rng.choice(["magenta", "cyan", "yellow", "red", "uneven", "uneven"])
    loss = [rng.uniform(0.0, 0.15) for _ in range(3)]  # density lost per record, as a lift of that channel
    gam = [rng.uniform(0.85, 1.15) for _ in range(3)]
    strong = rng.uniform(0.2, 0.55)
    if kind == "magenta":  # cyan dye faded: red record lifts; blue a little
        loss[0] += strong
        loss[2] += strong * rng.uniform(0.0, 0.5)
    elif kind == "cyan":  # magenta dye faded: green lifts
        loss[1] += strong * rng.uniform(0.5, 1.0)
        loss[2] += strong * rng.uniform(0.3, 0.8)
    elif kind == "yellow":  # blue record darkens (yellow stain) rather than lifting
        gam[2] *= rng.uniform(1.1, 1.6)
        loss[2] = -strong * rng.uniform(0.3, 0.7)
    elif kind == "red":  # cyan and yellow faded: warm red-magenta print
        loss[0] += strong
        gam[2] *= rng.uniform(1.0, 1.3)
    out = []
    for c in range(3):
        y = x[c].clamp(1e-4, 1) ** gam[c]
        l = loss[c]
        y = l + (1 - l) * y if l >= 0 else y * (1 + l)
        out.append(y)
    return torch.stack(out)


def levels(x, rng):
    """Lifted, possibly coloured blacks and dimmed, possibly coloured whites, with a contrast change."""
    b = rng.uniform(0.0, 0.22)
    w = rng.uniform(0.72, 1.0)
    tint_b = [rng.uniform(-0.05, 0.05) for _ in range(3)] if rng.random() < 0.6 else [0.0] * 3
    tint_w = [rng.uniform(-0.07, 0.03) for _ in range(3)] if rng.random() < 0.5 else [0.0] * 3
    if rng.random() < 0.5:  # yellowed paper: the white loses blue
        tint_w[2] -= rng.uniform(0.03, 0.15)
    bl = _v(*[max(0.0, b + t) for t in tint_b])
    wh = _v(*[min(1.0, max(0.4, w + t)) for t in tint_w])
    return bl + (wh - bl) * x


def contrast_gamma(x, rng):
    c = rng.uniform(0.55, 1.1)
    m = float(luma(x).mean()) if rng.random() < 0.5 else 0.5
    y = (m + c * (x - m)).clamp(0, 1)
    return y.clamp(1e-4, 1) ** rng.uniform(0.7, 1.4)


def key(x, rng):
    """Low key (dark print: gain < 1 and a gamma > 1) or high key (washed out: lifted with gamma < 1)."""
    if rng.random() < 0.5:
        return (x * rng.uniform(0.45, 0.85)).clamp(1e-4, 1) ** rng.uniform(1.0, 1.5)
    y = x.clamp(1e-4, 1) ** rng.uniform(0.45, 0.8)
    return rng.uniform(0.0, 0.15) + (1 - rng.uniform(0.0, 0.15)) * y


def desaturate(x, rng):
    l = luma(x)
    return l + rng.uniform(0.35, 0.9) * (x - l)


TONES = {  # multipliers of luma: (r, g, b)
    "sepia": (1.07, 0.95, 0.74),
    "warm": (1.05, 0.98, 0.85),
    "selenium": (1.02, 0.96, 1.02),
    "yellowed": (1.02, 1.0, 0.8),
    "cyanotype": (0.8, 0.95, 1.12),
}


def _tone_vec(rng):
    name = rng.choice(["sepia", "sepia", "warm", "selenium", "yellowed", "cyanotype"] if rng.random() < 0.3
                      else ["sepia", "sepia", "warm", "yellowed"])
    t = TONES[name]
    k = rng.uniform(0.5, 1.2)  # strength of the tone
    return _v(*[1 + k * (v - 1) + rng.uniform(-0.02, 0.02) for v in t])


def tone(x, rng, amount=None):
    """Partial toning: the print mixed with a toned monochrome of itself (amount 1 = fully toned)."""
    a = rng.uniform(0.2, 0.75) if amount is None else amount
    toned = (luma(x) * _tone_vec(rng)).clamp(0, 1)
    return x + a * (toned - x)


def vignette(x, rng):
    _, h, w = x.shape
    cy, cx = h * rng.uniform(0.35, 0.65), w * rng.uniform(0.35, 0.65)
    rr = max(h, w) * rng.uniform(0.8, 1.6)
    yy = (torch.arange(h, dtype=torch.float32)[:, None] - cy) / rr
    xx = (torch.arange(w, dtype=torch.float32)[None, :] - cx) / rr
    return x * (1 - rng.uniform(0.05, 0.35) * (yy ** 2 + xx ** 2)).clamp(0.3, 1)[None]


def uneven_stain(x, rng):
    """Yellowing that is stronger towards one side: a smooth ramp of lost blue (and a little green)."""
    _, h, w = x.shape
    ang = rng.uniform(0, 2 * math.pi)
    yy = torch.linspace(-1, 1, h)[:, None]
    xx = torch.linspace(-1, 1, w)[None, :]
    ramp = ((xx * math.cos(ang) + yy * math.sin(ang)) * 0.5 + 0.5).clamp(0, 1)[None]
    s = rng.uniform(0.03, 0.15)
    return x * (1 - s * ramp * _v(0.0, 0.3, 1.0))


# ---- the stage --------------------------------------------------------------------------------------------------

COLOUR_OPS = [(dye_fade, 0.6), (levels, 0.6), (contrast_gamma, 0.4), (key, 0.25), (desaturate, 0.3), (tone, 0.2)]
SPATIAL_OPS = [(vignette, 0.15), (uneven_stain, 0.1)]


def print_damage(x: torch.Tensor, rng: random.Random, bw: bool = False) -> torch.Tensor:
    """Damage one clean print. bw=True: x is a black-and-white print (see bw_print): it fades, and gets a tone
    (sepia, yellowed paper, ...) with probability 0.7, but no colour beyond that one hue."""
    if bw:
        ops = [f for f, p in [(levels, 0.7), (contrast_gamma, 0.5), (key, 0.25)] if rng.random() < p]
        rng.shuffle(ops)
        if not ops:
            ops = [levels]
        y = x
        for f in ops:
            y = f(y, rng).clamp(0, 1)
            y = bw_print(y) if f is levels else y  # a B&W print fades neutrally; its tone comes below
        if rng.random() < 0.7:
            y = tone(y, rng, amount=1.0)
    else:
        ops = [f for f, p in COLOUR_OPS if rng.random() < p]
        if not ops:
            ops = [rng.choice([dye_fade, levels])]
        rng.shuffle(ops)
        y = x
        for f in ops:
            y = f(y, rng).clamp(0, 1)
    for f, p in SPATIAL_OPS:
        if rng.random() < p:
            y = f(y, rng).clamp(0, 1)
    return y.float()


def old_print(x: torch.Tensor, rng: random.Random, bw: bool = False) -> torch.Tensor:
    """Old-print damage as real prints show it: print_damage, then (each with a probability) optical blur and film
    grain, then the scan saved as JPEG (quality 40-90). The ops are degrade.py's."""
    from revive_train import degrade
    y = print_damage(x, rng, bw=bw)
    if rng.random() < 0.7:
        y = rng.choice([degrade.gaussian_blur, degrade.defocus_blur])(y, rng).clamp(0, 1)
    if rng.random() < 0.8:
        y = degrade.film_grain(y, rng).clamp(0, 1)
    return degrade.jpeg(y, rng, quality=rng.randint(40, 90))


# ---- the tone model's training batches ---------------------------------------------------------------------------

STORE = 192  # training photos are kept with this short side (enough for crops pooled to THUMB)


def load_small(folders=TRAIN_FOLDERS, short: int = STORE) -> list:
    """The training photos downscaled (antialiased) to `short` px on the short side, uint8 [3, h, w]; cached in
    $REVIVE_RUNS/tone_photos_<short>.pt."""
    cache = RUNS / f"tone_photos_{short}.pt"
    if cache.exists():
        return torch.load(cache)
    out = []
    for p in list_images(folders):
        img = load_rgb(p).float()[None]
        _, _, h, w = img.shape
        s = short / min(h, w)
        if s < 1:
            img = F.interpolate(img, size=(round(h * s), round(w * s)), mode="bilinear", align_corners=False,
                                antialias=True)
        out.append(img[0].round().clamp(0, 255).byte())
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".pt.tmp")
    torch.save(out, tmp)
    tmp.replace(cache)
    return out


def sample(img: torch.Tensor, rng: random.Random, cfg) -> tuple:
    """(damaged, clean, damaged?) thumbnails [3, THUMB, THUMB] from one stored photo, for a config.ToneConfig: a
    random crop (cfg.crop_min, by default 55 %, to 100 % of each side), a share cfg.p_bw made a black-and-white print, a share cfg.p_clean left
    undamaged (0.0), the rest through print_damage and sometimes a little scan noise (1.0)."""
    _, h, w = img.shape
    lo = getattr(cfg, "crop_min", 0.55)
    ch, cw = round(h * rng.uniform(lo, 1.0)), round(w * rng.uniform(lo, 1.0))
    y, x = rng.randint(0, h - ch), rng.randint(0, w - cw)
    c = thumbnail(img[:, y:y + ch, x:x + cw].float()[None] / 255)[0]
    if rng.random() < 0.5:
        c = c.flip(2)
    bw = rng.random() < cfg.p_bw
    if bw:
        c = bw_print(c)
    if rng.random() < cfg.p_clean:
        return c.clone(), c, 0.0
    d = print_damage(c, rng, bw=bw)
    if rng.random() < 0.3:  # what is left of grain and scan noise after pooling
        g = torch.Generator().manual_seed(rng.getrandbits(62))
        d = (d + rng.uniform(0, 0.012) * torch.randn(d.shape, generator=g)).clamp(0, 1)
    return d, c, 1.0


def make_batch(photos: list, cfg, step: int) -> tuple:
    """(damaged, clean, damaged?) [B, 3, T, T], [B, 3, T, T], [B] for this step of a ToneConfig: a pure function
    of (cfg.seed, step), so a resumed run sees what an uninterrupted one would have."""
    rng = random.Random(step_seed(cfg.seed, step, 0))
    pairs = [sample(photos[rng.randrange(len(photos))], rng, cfg) for _ in range(cfg.batch)]
    return torch.stack([p[0] for p in pairs]), torch.stack([p[1] for p in pairs]), torch.tensor([p[2] for p in pairs])
