"""Synthetic print damage for the scratch stage: what handling and age do to the surface of a print, drawn on top of
the photo as real damage is, with the exact mask of what was damaged.

damage(x, rng) takes an image [3, H, W] in [0, 1] (already the "print": blurred, grainy or faded as the photo itself
is) and returns (damaged, alpha): alpha [1, H, W] in [0, 1] is how much of each pixel the damage covers. Kinds:

- scratches: long smooth curves 0.6-10 px wide (mostly thin), bright (emulsion scraped off: the paper shows) or dark
  (dirt in the groove), with soft edges and an opacity that varies along the curve;
- cracks: branching jagged networks 0.6-3 px wide (dried emulsion), mostly dark with a light rim or light;
- creases: a long almost straight fold with a highlight on one side and a shadow on the other;
- dust and specks: round and irregular blobs 0.5-5 px in radius, light or dark; hairs and fibres: thin curly curves;
- torn or missing corners and edges: a paper-coloured (or dark backing) region with a ragged border.

Damage is drawn after the print's own blur and grain (photo_like adds those), so its edges are crisp where the
photo is soft: that is the cue that tells a scratch from a wire, a hair or a catchlight that belong to the photo.
photo_lines draws such thin structures into the photo (negatives: never in the mask), mostly before that blur and
sometimes after it, since a sharp print has crisp wires and lettering too.
Everything random comes from the `random.Random` passed in, so a seed gives the same damage.
"""
import io
import math
import random

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


# ---- geometry -----------------------------------------------------------------------------------------------------

def _grid(h: int, w: int) -> np.ndarray:
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.stack([xs.ravel() + 0.5, ys.ravel() + 0.5], 1)  # [N, 2] pixel centres


def polyline_distance(h: int, w: int, pts: np.ndarray, pad: float) -> tuple:
    """Distance of each pixel to the polyline pts [K, 2] (x, y) and the index of the nearest segment, computed only
    inside the polyline's bounding box grown by pad. Returns (dist [h, w] (inf outside the box), seg [h, w])."""
    dist = np.full((h, w), np.inf, np.float32)
    seg = np.zeros((h, w), np.int32)
    if len(pts) < 2:
        return dist, seg
    x0 = int(max(0, math.floor(pts[:, 0].min() - pad)))
    x1 = int(min(w, math.ceil(pts[:, 0].max() + pad)))
    y0 = int(max(0, math.floor(pts[:, 1].min() - pad)))
    y1 = int(min(h, math.ceil(pts[:, 1].max() + pad)))
    if x1 <= x0 or y1 <= y0:
        return dist, seg
    g = _grid(y1 - y0, x1 - x0) + np.array([x0, y0], np.float32)
    a, b = pts[:-1], pts[1:]
    ab = b - a
    ll = (ab ** 2).sum(1).clip(min=1e-6)
    best = np.full(len(g), np.inf, np.float32)
    arg = np.zeros(len(g), np.int32)
    for k0 in range(0, len(a), 64):  # chunks of segments keep memory small on large images
        ak, abk, lk = a[k0:k0 + 64], ab[k0:k0 + 64], ll[k0:k0 + 64]
        t = (((g[:, None, :] - ak[None]) * abk[None]).sum(2) / lk[None]).clip(0, 1)
        d = np.sqrt(((g[:, None, :] - (ak[None] + t[..., None] * abk[None])) ** 2).sum(2))
        i = d.argmin(1)
        dm = d[np.arange(len(g)), i]
        upd = dm < best
        best[upd] = dm[upd]
        arg[upd] = i[upd] + k0
    dist[y0:y1, x0:x1] = best.reshape(y1 - y0, x1 - x0)
    seg[y0:y1, x0:x1] = arg.reshape(y1 - y0, x1 - x0)
    return dist, seg


def smooth_profile(n: int, rng: random.Random, lo: float, hi: float, knots: int = 4) -> np.ndarray:
    """n values varying smoothly between lo and hi (linear through a few random knots)."""
    k = np.array([rng.uniform(lo, hi) for _ in range(knots)], np.float32)
    return np.interp(np.linspace(0, knots - 1, max(n, 1)), np.arange(knots), k).astype(np.float32)


def curve(rng: random.Random, h: int, w: int, length: float, bend: float, step: float = 3.0, start=None,
          angle=None, jitter: float = 0.0) -> np.ndarray:
    """A random curve of about `length` px: a walk whose direction drifts by about `bend` rad per step (smooth), plus
    `jitter` rad of angle noise per step that does not accumulate (a jagged crack keeps its course)."""
    x, y = start if start is not None else (rng.uniform(-0.1, 1.1) * w, rng.uniform(-0.1, 1.1) * h)
    a = angle if angle is not None else rng.uniform(0, 2 * math.pi)
    da = 0.0
    pts = [(x, y)]
    for _ in range(max(2, int(length / step))):
        da = 0.7 * da + rng.gauss(0, bend)
        a += da
        j = rng.gauss(0, jitter) if jitter else 0.0
        x += step * math.cos(a + j)
        y += step * math.sin(a + j)
        pts.append((x, y))
    return np.array(pts, np.float32)


def stroke_alpha(dist: np.ndarray, width: float, soft: float) -> np.ndarray:
    """Coverage of a line of `width` px with edges `soft` px wide, from the distance to its centre line; a line thinner
    than a pixel covers it partly (its area), as a scanner integrates it."""
    half = max(width, 0.6) / 2
    cov = np.clip((half + soft / 2 - dist) / max(soft, 1e-3), 0, 1)
    return cov * min(1.0, width) if width < 1 else cov


# ---- kinds of damage: each returns (alpha [h, w], colour [3, h, w]) ----------------------------------------------

def _tone(rng: random.Random, x: np.ndarray, bright: bool) -> np.ndarray:
    """A damage colour: paper-white (slightly warm) for bright, near-black dirt for dark."""
    if bright:
        v = rng.uniform(0.82, 1.0)
        tint = np.array([1.0, rng.uniform(0.96, 1.0), rng.uniform(0.88, 1.0)], np.float32)
        return (v * tint)[:, None, None]
    v = rng.uniform(0.0, 0.22)
    return np.full((3, 1, 1), v, np.float32)


def scratch(rng, h, w, x):
    size = max(h, w)
    width = rng.choice([rng.uniform(0.6, 1.6), rng.uniform(0.6, 1.6), rng.uniform(1.5, 3.5), rng.uniform(3, 10)])
    pts = curve(rng, h, w, rng.uniform(0.3, 1.6) * size, bend=rng.uniform(0.0, 0.04))
    dist, seg = polyline_distance(h, w, pts, width + 3)
    op = smooth_profile(len(pts), rng, rng.uniform(0.3, 0.8), 1.0)[seg]
    a = stroke_alpha(dist, width, rng.uniform(0.5, 1.5)) * op
    return a, _tone(rng, x, rng.random() < 0.65)


def crack(rng, h, w, x):
    size = max(h, w)
    a = np.zeros((h, w), np.float32)
    bright = rng.random() < 0.35
    starts = [(rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0, 2 * math.pi))]
    for b in range(rng.randint(2, 7)):
        sx, sy, ang = starts[rng.randrange(len(starts))]
        pts = curve(rng, h, w, rng.uniform(0.15, 0.7) * size, bend=rng.uniform(0.01, 0.05), step=2.0,
                    start=(sx, sy), angle=ang + rng.uniform(-1.2, 1.2), jitter=rng.uniform(0.3, 0.7))
        width = rng.uniform(0.6, 2.5) if b else rng.uniform(1.0, 3.0)
        dist, seg = polyline_distance(h, w, pts, width + 2)
        op = smooth_profile(len(pts), rng, 0.5, 1.0)[seg]
        a = np.maximum(a, stroke_alpha(dist, width, rng.uniform(0.4, 1.0)) * op)
        for p in pts[:: max(1, len(pts) // 3)]:
            starts.append((float(p[0]), float(p[1]), rng.uniform(0, 2 * math.pi)))
    return a, _tone(rng, x, bright)


def crease(rng, h, w, x):
    """A fold: shadow on one side, highlight on the other, about 2-6 px in all."""
    size = max(h, w)
    pts = curve(rng, h, w, 1.6 * size, bend=rng.uniform(0.0, 0.01), step=4.0,
                start=(rng.uniform(0, w), rng.uniform(0, h)))
    pts = pts - (pts[len(pts) // 2] - pts[0]) * 0.5  # centre the long curve on its start point
    dist, seg = polyline_distance(h, w, pts, 8)
    # signed side from the nearest segment's normal
    g = _grid(h, w).reshape(h, w, 2)
    a0, a1 = pts[:-1][seg], pts[1:][seg]
    nrm = np.stack([-(a1 - a0)[..., 1], (a1 - a0)[..., 0]], -1)
    side = np.sign(((g - a0) * nrm).sum(-1))
    width = rng.uniform(1.5, 4.0)
    cov = stroke_alpha(dist, width, rng.uniform(0.8, 1.6))
    hi = np.full((3, h, w), rng.uniform(0.85, 1.0), np.float32)
    lo = np.full((3, h, w), rng.uniform(0.05, 0.3), np.float32)
    col = np.where(side[None] > 0, hi, lo)
    return cov * rng.uniform(0.5, 0.95), col


def specks(rng, h, w, x):
    """Dust, specks and hairs."""
    a = np.zeros((h, w), np.float32)
    col = np.zeros((3, h, w), np.float32)
    n = rng.randint(3, 40) * max(1, (h * w) // (128 * 128)) ** 1
    n = min(n, 400)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    for _ in range(n):
        bright = rng.random() < 0.55
        c = _tone(rng, x, bright)
        if rng.random() < 0.12:  # a hair or fibre
            pts = curve(rng, h, w, rng.uniform(8, 60), bend=rng.uniform(0.05, 0.3), step=1.5)
            dist, _ = polyline_distance(h, w, pts, 3)
            s = stroke_alpha(dist, rng.uniform(0.6, 1.6), 0.7) * rng.uniform(0.5, 1.0)
        else:
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            r = rng.choice([rng.uniform(0.5, 1.5), rng.uniform(0.5, 1.5), rng.uniform(1.2, 3.0), rng.uniform(2.5, 5.0)])
            e = rng.uniform(0.5, 1.0)
            t = rng.uniform(0, math.pi)
            x0, y0 = int(max(0, cx - r - 3)), int(max(0, cy - r - 3))
            x1, y1 = int(min(w, cx + r + 4)), int(min(h, cy + r + 4))
            if x1 <= x0 or y1 <= y0:
                continue
            dx, dy = xs[y0:y1, x0:x1] + 0.5 - cx, ys[y0:y1, x0:x1] + 0.5 - cy
            u = dx * math.cos(t) + dy * math.sin(t)
            v = (-dx * math.sin(t) + dy * math.cos(t)) / e
            d = np.sqrt(u * u + v * v)
            s = np.zeros((h, w), np.float32)
            s[y0:y1, x0:x1] = np.clip((r + 0.5 - d) / 1.0, 0, 1) * (min(1.0, r) if r < 1 else 1.0)
            s *= rng.uniform(0.5, 1.0)
        upd = s > a
        a = np.where(upd, s, a)
        col = np.where(upd[None], np.broadcast_to(c, col.shape), col)
    return a, col


def torn(rng, h, w, x):
    """A missing corner or edge strip: paper white/cream (or a dark backing) with a ragged border."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    size = max(h, w)
    depth = rng.uniform(0.06, 0.3) * size
    rag = smooth_profile(size, rng, -0.3, 0.3, knots=12) * depth * 0.5 + \
        np.array([rng.gauss(0, 1.2) for _ in range(size)], np.float32)
    kind = rng.choice(["corner", "edge"])
    if kind == "corner":
        cx, cy = rng.choice([(0, 0), (w, 0), (0, h), (w, h)])
        d = (np.abs(xs - cx) + np.abs(ys - cy)) / math.sqrt(2)
        ang = np.arctan2(ys - cy, xs - cx)
        idx = ((ang % (2 * math.pi)) / (2 * math.pi) * (size - 1)).astype(int)
        inside = depth + rag[idx] - d
    else:
        side = rng.randrange(4)
        d = [ys, h - 1 - ys, xs, w - 1 - xs][side]
        along = (xs if side < 2 else ys).astype(int).clip(0, size - 1)
        inside = depth * 0.5 + rag[along] - d
    a = np.clip(inside + 0.5, 0, 1)
    if rng.random() < 0.8:
        col = _tone(rng, x, True)
    else:
        col = np.full((3, 1, 1), rng.uniform(0.02, 0.2), np.float32)
    return a, col


KINDS = {"scratch": scratch, "crack": crack, "crease": crease, "specks": specks, "torn": torn}
WEIGHTS = {"scratch": 0.38, "crack": 0.17, "crease": 0.07, "specks": 0.3, "torn": 0.08}


def damage(x: torch.Tensor, rng: random.Random, n_kinds: int = None, weights: dict = None,
           p_flat: float = 0.0) -> tuple:
    """(damaged [3, H, W], alpha [1, H, W]) for an image [3, H, W] in [0, 1]. `weights`: each kind's chance (WEIGHTS
    when None); `p_flat`: the share of damage drawn in one flat colour, without the paper's fibres and dirt (a scanner
    lid or backing seen through a hole is flat). With the defaults the draws are exactly those of earlier versions,
    so seeded validation sets do not change."""
    weights = weights or WEIGHTS
    xn = x.numpy()
    _, h, w = xn.shape
    out = xn.copy()
    alpha = np.zeros((h, w), np.float32)
    n = n_kinds if n_kinds is not None else rng.choice([1, 1, 2, 2, 3])
    names = list(KINDS)
    for _ in range(n):
        k = rng.choices(names, [weights.get(k, 0.0) for k in names])[0]
        a, col = KINDS[k](rng, h, w, xn)
        if not (p_flat and rng.random() < p_flat):
            # a little texture in the damage colour itself (paper fibres, dirt)
            col = np.clip(col + np.float32(rng.uniform(0, 0.04)) * np.random.default_rng(rng.randrange(1 << 30))
                          .standard_normal((1, h, w)).astype(np.float32), 0, 1)
        out = out * (1 - a[None]) + col * a[None]
        alpha = np.maximum(alpha, a)
    return torch.from_numpy(out.astype(np.float32)), torch.from_numpy(alpha[None])


# ---- the photo around the damage ----------------------------------------------------------------------------------

def _local_colour(xn: np.ndarray, rng: random.Random) -> np.ndarray:
    """A colour that belongs to the photo: its mean darkened (a wire against the sky) or lightened (a frame, a sail)."""
    local = xn.reshape(3, -1).mean(1)
    if rng.random() < 0.55:
        return np.clip(local * rng.uniform(0.1, 0.55), 0, 1)
    return np.clip(local + rng.uniform(0.25, 0.6), 0, 1)


def _draw(xn: np.ndarray, pts: np.ndarray, width: float, colour: np.ndarray, opacity: float, soft: float):
    h, w = xn.shape[1:]
    dist, _ = polyline_distance(h, w, pts, width + 2)
    a = stroke_alpha(dist, width, soft) * opacity
    return xn * (1 - a[None]) + colour[:, None, None] * a[None]


NEGATIVES = {
    "v2": ["wire", "wire", "grid", "text", "glints"],
    # v3 adds what v2 marked in real photos: poles, spears and spires (straight, tapering, shaded), and small
    # saturated objects and their highlights (a ribbon, an umbrella, a flower)
    "v3": ["wire", "wire", "grid", "text", "glints", "pole", "blob", "blob"],
}


def _pole(xn: np.ndarray, rng: random.Random) -> np.ndarray:
    """A straight structure that tapers (a flagpole, a spear, a spire, a mast), mostly near vertical, shaded across:
    one side lit, the other in shadow, in a colour of the photo."""
    _, h, w = xn.shape
    size = max(h, w)
    ang = math.pi / 2 + (rng.gauss(0, 0.12) if rng.random() < 0.75 else rng.uniform(-math.pi / 2, math.pi / 2))
    length = rng.uniform(0.25, 1.0) * size
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    dx, dy = math.cos(ang), math.sin(ang)
    n = max(2, int(length / 3))
    t = np.linspace(-0.5, 0.5, n, dtype=np.float32)
    pts = np.stack([cx + t * length * dx, cy + t * length * dy], 1).astype(np.float32)
    w0, w1 = rng.uniform(1.5, 4.5), rng.uniform(0.6, 1.5)
    dist, seg = polyline_distance(h, w, pts, max(w0, w1) + 2)
    width = w0 + (w1 - w0) * (seg.astype(np.float32) / max(1, n - 2))
    a = np.clip((width / 2 + 0.5 - dist), 0, 1) * rng.uniform(0.7, 1.0)
    g = _grid(h, w).reshape(h, w, 2)
    side = np.sign((g[..., 0] - cx) * -dy + (g[..., 1] - cy) * dx)
    local = xn.reshape(3, -1).mean(1)  # a mid-tone of the photo's own colour (a near-black line is a scratch's look)
    base = np.clip(local * rng.uniform(0.35, 0.8) if rng.random() < 0.6 else local + rng.uniform(0.1, 0.35), 0, 1)
    lit = np.clip(base + rng.uniform(0.08, 0.3), 0, 1)
    col = np.where(side[None] > 0, lit[:, None, None], base[:, None, None])
    return xn * (1 - a[None]) + col * a[None]


def _blob(xn: np.ndarray, rng: random.Random) -> np.ndarray:
    """Small saturated objects (2-14 px), some with a bright highlight: a ribbon, a flower, an umbrella, a toy."""
    _, h, w = xn.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    for _ in range(rng.randint(1, 5)):
        hue = rng.uniform(0, 1)
        rgb = np.array([max(0.0, min(1.0, abs((hue * 6 + k) % 6 - 3) - 1)) for k in (0, 4, 2)], np.float32)
        col = np.clip(rgb * rng.uniform(0.5, 1.0) + rng.uniform(0, 0.25), 0, 1)
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        r, e, t = rng.uniform(1.0, 7.0), rng.uniform(0.4, 1.0), rng.uniform(0, math.pi)
        dx, dy = xs + 0.5 - cx, ys + 0.5 - cy
        u = dx * math.cos(t) + dy * math.sin(t)
        v = (-dx * math.sin(t) + dy * math.cos(t)) / e
        a = np.clip(r + 0.5 - np.sqrt(u * u + v * v), 0, 1) * rng.uniform(0.8, 1.0)
        xn = xn * (1 - a[None]) + col[:, None, None] * a[None]
        if rng.random() < 0.5:  # its highlight: a small bright spot on the object, the object's hue washed out
            hr = max(0.6, r * rng.uniform(0.2, 0.4))
            hx, hy = cx + rng.uniform(-0.4, 0.4) * r, cy + rng.uniform(-0.4, 0.4) * r
            ha = np.clip(hr + 0.5 - np.sqrt((xs + 0.5 - hx) ** 2 + (ys + 0.5 - hy) ** 2), 0, 1) * a
            hcol = np.clip(col + rng.uniform(0.4, 0.8), 0, 1)
            xn = xn * (1 - ha[None]) + hcol[:, None, None] * ha[None]
    return xn


def photo_lines(x: torch.Tensor, rng: random.Random, negatives: str = "v2") -> torch.Tensor:
    """Thin structures that belong to the photo, never damage: wires and branches (single lines, straight or gently
    curved), window frames, fences and sails (parallel lines and grids), lettering (rows of short strokes), and
    glints (small bright spots in a cluster), in colours taken from the photo; with negatives "v3" also poles and
    spires and small saturated objects (NEGATIVES)."""
    xn = x.numpy().copy()
    _, h, w = xn.shape
    size = max(h, w)
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(NEGATIVES[negatives])
        if kind == "pole":
            xn = _pole(xn, rng)
            continue
        if kind == "blob":
            xn = _blob(xn, rng)
            continue
        col = _local_colour(xn, rng)
        if kind == "wire":
            straight = rng.random() < 0.6
            pts = curve(rng, h, w, rng.uniform(0.3, 1.5) * size, bend=0.0 if straight else rng.uniform(0.01, 0.08))
            xn = _draw(xn, pts, rng.uniform(0.6, 2.5), col, rng.uniform(0.5, 1.0), rng.uniform(0.6, 1.6))
        elif kind == "grid":
            a = rng.uniform(0, math.pi)
            gap = rng.uniform(4, 24)
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            length = rng.uniform(0.3, 1.2) * size
            width = rng.uniform(0.6, 2.0)
            for ang in ([a] if rng.random() < 0.5 else [a, a + math.pi / 2]):
                dx, dy = math.cos(ang), math.sin(ang)
                for k in range(-rng.randint(1, 4), rng.randint(2, 5)):
                    ox, oy = cx - dy * gap * k, cy + dx * gap * k
                    pts = np.array([[ox - dx * length / 2, oy - dy * length / 2], [ox + dx * length / 2, oy + dy * length / 2]],
                                   np.float32)
                    xn = _draw(xn, pts, width, col, rng.uniform(0.6, 1.0), rng.uniform(0.6, 1.4))
        elif kind == "text":
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            hgt = rng.uniform(5, 18)
            width = max(0.7, hgt * rng.uniform(0.08, 0.2))
            for i in range(rng.randint(3, 12)):
                x0 = cx + i * hgt * rng.uniform(0.6, 0.9)
                for _ in range(rng.randint(1, 3)):
                    p0 = (x0 + rng.uniform(0, hgt * 0.5), cy + rng.uniform(0, hgt))
                    p1 = (x0 + rng.uniform(0, hgt * 0.5), cy + rng.uniform(0, hgt))
                    xn = _draw(xn, np.array([p0, p1], np.float32), width, col, 1.0, 0.8)
        else:  # glints: a cluster of small bright spots (sun through leaves, sparkles on water, catchlights)
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            spread = rng.uniform(8, 60)
            bright = np.clip(xn.reshape(3, -1).mean(1) + rng.uniform(0.3, 0.6), 0, 1)
            for _ in range(rng.randint(4, 20)):
                px, py = cx + rng.gauss(0, spread), cy + rng.gauss(0, spread)
                r = rng.uniform(0.5, 2.5)
                pts = np.array([[px, py], [px + rng.uniform(-r, r), py + rng.uniform(-r, r)]], np.float32)
                xn = _draw(xn, pts, r, bright, rng.uniform(0.6, 1.0), 1.0)
    return torch.from_numpy(xn.astype(np.float32))


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    if sigma < 0.2:
        return x
    r = max(1, int(math.ceil(2.5 * sigma)))
    k = torch.exp(-torch.arange(-r, r + 1, dtype=torch.float32) ** 2 / (2 * sigma * sigma))
    k = (k / k.sum())
    y = F.conv2d(F.pad(x[:, None], (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1))
    y = F.conv2d(F.pad(y, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1))
    return y[:, 0]


def photo_like(x: torch.Tensor, rng: random.Random) -> torch.Tensor:
    """The print the damage lands on: a little blur, film grain and fading, as old photos are."""
    if rng.random() < 0.6:
        x = _blur(x, rng.uniform(0.3, 1.3))
    if rng.random() < 0.35:
        lift, gain = rng.uniform(0.0, 0.12), rng.uniform(0.75, 1.0)
        tint = torch.tensor([1.0, rng.uniform(0.92, 1.0), rng.uniform(0.8, 1.0)]).view(3, 1, 1)
        x = lift + (x * gain) * tint
    if rng.random() < 0.5:
        g = torch.from_numpy(np.random.default_rng(rng.randrange(1 << 30)).standard_normal(x.shape[1:]).astype(np.float32))
        x = x + rng.uniform(0.005, 0.04) * g[None]
    return x.clamp(0, 1)


def scan(x: torch.Tensor, rng: random.Random, jpeg_min: int = 60) -> torch.Tensor:
    """The scanner after the damage: mild noise and sometimes JPEG (quality jpeg_min-95, PIL's 4:2:0)."""
    if rng.random() < 0.4:
        g = torch.from_numpy(np.random.default_rng(rng.randrange(1 << 30)).standard_normal(x.shape).astype(np.float32))
        x = (x + rng.uniform(0.002, 0.012) * g).clamp(0, 1)
    if rng.random() < 0.3:
        a = (x.permute(1, 2, 0).numpy() * 255).round().clip(0, 255).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(a).save(buf, format="JPEG", quality=rng.randint(jpeg_min, 95))
        x = torch.from_numpy(np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB")).copy()) \
            .permute(2, 0, 1).float() / 255
    return x


def sample(clean: torch.Tensor, rng: random.Random, p_clean: float = 0.15, p_lines: float = 0.3,
           negatives: str = "v2", jpeg_min: int = 60, kind_weights: dict = None, p_flat: float = 0.0) -> tuple:
    """One training sample from a clean crop [3, H, W]: (input, target, alpha). input = the damaged scan; target = the
    same print without damage (what the fill should give back); alpha = the damage's coverage (0 for a clean one)."""
    return sample_with_lines(clean, rng, p_clean, p_lines, negatives, jpeg_min, kind_weights, p_flat)[:3]


def sample_with_lines(clean: torch.Tensor, rng: random.Random, p_clean: float = 0.15, p_lines: float = 0.3,
                      negatives: str = "v2", jpeg_min: int = 60, kind_weights: dict = None,
                      p_flat: float = 0.0) -> tuple:
    """sample() (the same draws), and a fourth tensor [1, H, W]: where the photo's own thin structures were drawn
    (photo_lines changed a channel by more than 0.04: what a detector may wrongly mark, and a fill must keep)."""
    x = clean
    lines = torch.zeros(1, *x.shape[1:])
    drawn = lambda a, b: ((a - b).abs().amax(0, keepdim=True) > 0.04).float()
    if rng.random() < p_lines:
        y = photo_lines(x, rng, negatives)
        lines, x = drawn(y, x), y
    x = photo_like(x, rng)
    if rng.random() < p_lines * 0.4:  # some of the photo's own structures as crisp as damage (a sharp print)
        y = photo_lines(x, rng, negatives)
        lines, x = torch.maximum(lines, drawn(y, x)), y
    if rng.random() < p_clean:
        alpha = torch.zeros(1, *x.shape[1:])
        damaged = x
    else:
        damaged, alpha = damage(x, rng, weights=kind_weights, p_flat=p_flat)
    return scan(damaged, rng, jpeg_min), x, alpha, lines
