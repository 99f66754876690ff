"""Evaluate the scratch stage (detector + fill) the way the engine runs it, on seeded validation photos with synthetic
damage, on undamaged photos, and on the real old photos.

    python3 training/eval_scratch.py --run scratch_cpu [--out docs/training/scratch_metrics.json] [--sheets]

The validation set: every photo of CBSD68, McMaster and Set14 (100 photos, never trained on), whole, each with
damage drawn by scratch_damage.damage from a seed per photo (seed 2024 + index), on the clean photo itself
("damage-only": the PSNR gain then measures the stage alone). What the engine does (src/core/scratch/scratch.ts) is
emulated exactly: the probability of the full-resolution pass and of the pass over the photo shrunk 4 times (its
maximum), >= threshold(sensitivity) -> mask, grown by one pixel -> fill; the detector sees the photo as the engine's
windows do on a photo under its tile size (anchored_spans: never padded at the far edge, on its own 16 px grid), the
fill sees it padded by reflection to its 32 px multiple. PSNR is capped at 60 dB (an untouched photo is not
infinitely good).

Measures, at the default sensitivity 0.5 (and a sweep):
- mask F1 against the pixels the damage visibly changed (damage_target; lightly touched pixels are not counted
  either way), precision and recall, pixel-exact and with a one-pixel tolerance (a mark within a pixel of damage is
  right, damage within a pixel of a mark is found: how crack-detection benchmarks score thin structures);
- PSNR to the clean photo: damaged input, after the stage, with the fill given the true mask (the fill's own
  ceiling; guided as the stage runs it, and plain, as for a painted mask), and push-pull alone in place of the fill
  network (the ablation: is the network worth it, against the plain fill);
- marked pixels on undamaged photos: the clean val photos, and the same photos as soft, grainy prints
  (scratch_damage.photo_like, seeded);
- per kind of damage (scratch, crack, crease, specks, torn): F1 and gain on photos damaged with that kind only.
"""
import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from export_scratch import load_pair
from revive_train.data import list_images, load_rgb
from revive_train.paths import DATASETS, DOCS, RUNS, portable
from revive_train.scratch import SIZE_MULTIPLE, damage_target, push_pull
from revive_train.scratch_damage import KINDS, damage, photo_like

VAL = ("val/cbsd68", "val/mcmaster", "val/set14")


def threshold(sensitivity: float) -> float:
    """src/core/scratch/scratch.ts thresholdFor, as a probability (the engine compares bytes: round(255 * p))."""
    s = min(1, max(0, sensitivity))
    return round(255 * (0.97 - 0.24 * s if s <= 0.5 else 0.85 - 1.1 * (s - 0.5))) / 255


def pad_to(x: torch.Tensor, m: int = SIZE_MULTIPLE) -> tuple:
    h, w = x.shape[-2:]
    ph, pw = (-h) % m, (-w) % m
    return (F.pad(x, (0, pw, 0, ph), mode="reflect") if ph or pw else x), h, w


COARSE_FACTOR = 4  # src/core/scratch/scratch.ts


def area_down(x: torch.Tensor, max_side: int) -> torch.Tensor:
    """src/core/image/planar.ts downscalePlanar: box averages over floor-aligned source boxes."""
    _, H, W = x.shape
    s = min(1.0, max_side / max(W, H))
    w, h = max(1, round(W * s)), max(1, round(H * s))
    ii = F.pad(x.double().cumsum(1).cumsum(2), (1, 0, 1, 0))
    bx = [(int(i * W // w), max(int(i * W // w) + 1, int((i + 1) * W // w))) for i in range(w)]
    by = [(int(i * H // h), max(int(i * H // h) + 1, int((i + 1) * H // h))) for i in range(h)]
    x0 = torch.tensor([b[0] for b in bx]); x1 = torch.tensor([b[1] for b in bx])
    y0 = torch.tensor([b[0] for b in by]); y1 = torch.tensor([b[1] for b in by])
    tot = ii[:, y1][:, :, x1] - ii[:, y0][:, :, x1] - ii[:, y1][:, :, x0] + ii[:, y0][:, :, x0]
    area = ((y1 - y0)[:, None] * (x1 - x0)[None]).double()
    return (tot / area).float()


END_WINDOW = 128  # src/core/scratch/scratch.ts: the shortest window at a photo's far edge
DETECT_OVERLAP = 64  # the detector's receptive_overlap in the manifest
DETECT_MULTIPLE = 16  # the detector's size_multiple in the manifest (the fill's, SIZE_MULTIPLE, is 32)


def anchored_spans(length: int, m: int = DETECT_MULTIPLE) -> list:
    """src/core/scratch/scratch.ts detectAxis for a photo in one window (the engine's tile is 512): (start, end,
    own_start, own_end). A length that is not a multiple of m is not padded: the window is cut to the largest
    multiple of m and owns all but its last m pixels (the same pixel grid as the padded window had), and a window of
    max(END_WINDOW, 2 overlaps) (at most that multiple) ending at the photo's edge owns the rest. So damage along the
    far edge (a torn edge) is seen at the photo's edge, as in training, not mirrored into a band inside a padded
    window."""
    if length % m == 0 or length < 2 * m:  # under 2m pixels there is no pair of windows: padded as before
        return [(0, length, 0, length)]
    L = length // m * m
    cut = L - m  # the window at the start owns all but its last m pixels; the one at the end, the rest
    end = min(L, max(END_WINDOW, 2 * DETECT_OVERLAP))
    return [(0, L, 0, cut), (length - end, length, cut, length)]


# src/core/scratch/scratch.ts TTA_FROM_LOGIT; the manifest's `tta` of the shipped detector ("rot180"; None: one run)
TTA_FROM_LOGIT = -2.944
DETECT_TTA = "rot180"


def window_logit(pair, xp: torch.Tensor, tta: str = None) -> torch.Tensor:
    """The detector's logit for one (padded) window; with tta "rot180" (src/core/scratch/scratch.ts detectPass), the
    mean of the window's and, turned back, the window turned 180 degrees', unless the first stays under
    TTA_FROM_LOGIT everywhere."""
    logit = pair.detect(xp)
    if tta == "rot180" and float(logit.max()) >= TTA_FROM_LOGIT:
        logit = (logit + pair.detect(xp.flip(-1, -2)).flip(-1, -2)) / 2
    elif tta not in (None, "rot180"):
        raise ValueError(f"unknown tta {tta!r}")
    return logit


@torch.no_grad()
def prob_pass(pair, x: torch.Tensor, tta: str = "default") -> torch.Tensor:
    tta = DETECT_TTA if tta == "default" else tta
    H, W = x.shape[1:]
    out = torch.zeros(1, H, W)
    for y0, y1, oy0, oy1 in anchored_spans(H):
        for x0, x1, ox0, ox1 in anchored_spans(W):
            xp, h, w = pad_to(x[None, :, y0:y1, x0:x1], DETECT_MULTIPLE)  # pads only a side shorter than that
            p = torch.sigmoid(window_logit(pair, xp, tta))[0, :, :h, :w]
            out[:, oy0:oy1, ox0:ox1] = p[:, oy0 - y0:oy1 - y0, ox0 - x0:ox1 - x0]
    # the engine stores the probability as a byte
    return (out * 255).round() / 255


COARSE_MIN_AREA = 256  # src/core/scratch/scratch.ts: the coarse pass's marks count only in regions this large


def coarse_filter(cs: torch.Tensor, thr: float, min_area: int = COARSE_MIN_AREA) -> torch.Tensor:
    """src/core/scratch/scratch.ts dropSmallRegions: the coarse probability [1, h, w] with every region of pixels at
    or above thr (8-connected) smaller than min_area pixels set to 0. The coarse pass is there for what is too wide
    for the fine one (torn corners, wide cracks); its small marks are mostly false ones, and the fine pass sees small
    damage better."""
    from scipy import ndimage
    lab, n = ndimage.label((cs[0] >= thr).numpy(), structure=np.ones((3, 3)))
    if n == 0:
        return cs
    sizes = np.bincount(lab.ravel(), minlength=n + 1)
    small = (sizes < min_area)[lab] & (lab > 0)
    out = cs.clone()
    out[0][torch.from_numpy(small)] = 0
    return out


def region_stats(prob: torch.Tensor, x: torch.Tensor, thr: float):
    """The regions at or above thr (8-connected) as scratch.ts forEachRegion visits them, with what the rules read:
    (mask, labels, count, pixels per label, edge pixels per label (a 4-neighbour in the photo outside the region),
    luma, mean luma per label); None when there is none."""
    from scipy import ndimage
    m = (prob[0] >= thr).numpy()
    lab, n = ndimage.label(m, structure=np.ones((3, 3)))
    if n == 0:
        return None
    sizes = np.bincount(lab.ravel(), minlength=n + 1)
    interior = ndimage.binary_erosion(m, structure=ndimage.generate_binary_structure(2, 1), border_value=1)
    edges = np.bincount(lab[m & ~interior], minlength=n + 1)
    luma = (0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2]).double().numpy()
    return m, lab, n, sizes, edges, luma, ndimage.mean(luma, lab, np.arange(n + 1))


DARK_FLAT = {"min_area": 1024, "min_thickness": 4, "max_luma": 0.12, "max_std": 0.05}  # scratch.ts DARK_FLAT


def drop_dark_flat(prob: torch.Tensor, x: torch.Tensor, thr: float, rule: dict = DARK_FLAT) -> torch.Tensor:
    """src/core/scratch/scratch.ts dropDarkFlatRegions: regions at or above thr (8-connected) of at least min_area
    pixels that are thick (pixels per edge pixel >= min_thickness; an edge pixel has a 4-neighbour in the photo outside
    the region), near black and flat (luma mean <= max_luma, std <= max_std) set to 0: a mount's black, not damage."""
    from scipy import ndimage
    st = region_stats(prob, x, thr)
    if st is None:
        return prob
    m, lab, n, sizes, edges, luma, mean = st
    sq = ndimage.mean(luma * luma, lab, np.arange(n + 1))
    std = np.sqrt(np.maximum(0, sq - mean * mean))
    drop = (sizes >= rule["min_area"]) & (sizes >= rule["min_thickness"] * edges) & (mean <= rule["max_luma"]) & \
        (std <= rule["max_std"])
    drop[0] = False
    if not drop.any():
        return prob
    out = prob.clone()
    out[0][torch.from_numpy(drop[lab])] = 0
    return out


DARK_LINE = {"min_half_width": 2, "elongation": 16, "max_luma": 0.3, "min_contrast": 0.1, "ring": 3}  # scratch.ts


def drop_dark_lines(prob: torch.Tensor, x: torch.Tensor, thr: float, rule: dict = DARK_LINE) -> torch.Tensor:
    """src/core/scratch/scratch.ts dropDarkLines: regions at or above thr (8-connected) that are thick (pixels per
    edge pixel, about half the width, >= min_half_width), long (pixels >= elongation x that squared), dark (luma mean
    <= max_luma) and at least min_contrast darker than the photo outside the mask within `ring` px set to 0: a
    cable, veins, leading, not damage."""
    from scipy import ndimage
    st = region_stats(prob, x, thr)
    if st is None:
        return prob
    m, lab, n, sizes, edges, luma, mean = st
    r, H, W = rule["ring"], m.shape[0], m.shape[1]
    drop = np.zeros(n + 1, bool)
    for k, sl in enumerate(ndimage.find_objects(lab), start=1):
        half = sizes[k] / max(1, edges[k])
        if sizes[k] < rule["elongation"] * rule["min_half_width"] ** 2 or half < rule["min_half_width"] or \
                sizes[k] < rule["elongation"] * half * half or mean[k] > rule["max_luma"]:
            continue
        y0, y1, x0, x1 = max(0, sl[0].start - r), min(H, sl[0].stop + r), max(0, sl[1].start - r), min(W, sl[1].stop + r)
        reg = lab[y0:y1, x0:x1] == k
        ring = ndimage.binary_dilation(reg, structure=np.ones((3, 3)), iterations=r) & ~m[y0:y1, x0:x1]
        if ring.any() and luma[y0:y1, x0:x1][ring].mean() - mean[k] >= rule["min_contrast"]:
            drop[k] = True
    if not drop.any():
        return prob
    out = prob.clone()
    out[0][torch.from_numpy(drop[lab])] = 0
    return out


FRAME = {"max_depth": 0.25, "tol": 0.04, "outlier": 0.15, "outlier_share": 0.03, "min_width": 3, "margin": 3,
         "same_colour": 0.08, "edge_lines": 2, "edge_contrast": 0.15}  # scratch.ts FRAME


def scan_frame(x: torch.Tensor, rule: dict = FRAME) -> dict:
    """src/core/scratch/scratch.ts scanFrame: the uniform border along each side (top, bottom, left, right) of a photo
    [3, H, W] in [0, 1]; a side counts only with another side's border of nearly the same colour, or alone when it is
    an edge line (1 to edge_lines lines that the next line differs from by more than edge_contrast)."""
    x = x.double()
    lines = {"top": x, "bottom": x.flip(1), "left": x.transpose(1, 2), "right": x.transpose(1, 2).flip(1)}
    found = {}
    for side, a in lines.items():  # a: [3, depth, len]
        ref = a[:, 0].mean(1)
        dmax = int(a.shape[1] * rule["max_depth"])
        d = (a[:, :dmax] - ref[:, None, None]).abs().amax(0)  # [dmax, len]
        ok = (d.mean(1) <= rule["tol"]) & ((d > rule["outlier"]).sum(1) <= rule["outlier_share"] * a.shape[2])
        depth = int(ok.int().cumprod(0).sum()) if dmax else 0
        line = 1 <= depth <= rule["edge_lines"] and depth < dmax and float(d[depth].mean()) > rule["edge_contrast"]
        found[side] = (depth if depth >= rule["min_width"] or line else 0, ref, line)
    return {s: (dep if dep and ((line and dep < rule["min_width"]) or any(
        o != s and found[o][0] and float((found[o][1] - ref).abs().max()) <= rule["same_colour"] for o in found))
        else 0) for s, (dep, ref, line) in found.items()}


def clear_frame(prob: torch.Tensor, f: dict, margin: int = FRAME["margin"]) -> torch.Tensor:
    """scratch.ts clearFrame: 0 inside the frame and margin pixels beyond it."""
    if not any(f.values()):
        return prob
    out = prob.clone()
    H, W = prob.shape[-2:]
    g = lambda v, n: min(n, v + margin) if v else 0
    t, b, l, r = g(f["top"], H), g(f["bottom"], H), g(f["left"], W), g(f["right"], W)
    out[..., :t, :] = 0
    out[..., :, :l] = 0
    if b:
        out[..., H - b:, :] = 0
    if r:
        out[..., :, W - r:] = 0
    return out


@torch.no_grad()
def prob_of(pair, x: torch.Tensor, thr: float = None, min_area: int = COARSE_MIN_AREA) -> torch.Tensor:
    """The engine's detectDamage: the full-resolution pass (turned half round too, DETECT_TTA), and the pass over the
    photo shrunk 4 times (run once; its regions at or above thr smaller than min_area dropped), upsampled bilinearly,
    where it is higher (photos under 256 px: the full-resolution pass only); then, with thr, the dark flat regions
    and thick dark lines dropped (drop_dark_flat, drop_dark_lines) and nothing in a print's border (scan_frame,
    clear_frame)."""
    p = prob_pass(pair, x)
    H, W = x.shape[1:]
    if min(H, W) >= 64 * COARSE_FACTOR:
        small = area_down(x, round(max(W, H) / COARSE_FACTOR))
        small = (small * 65535).round() / 65535  # the engine feeds it as a 16-bit image
        cs = prob_pass(pair, small, tta=None)  # turned, the coarse pass finds less of what it is there for
        if thr is not None and min_area > 0:
            cs = coarse_filter(cs, thr, min_area)
        c = F.interpolate(cs[None], size=(H, W), mode="bilinear", align_corners=False)[0]
        p = torch.maximum(p, (c * 255).round() / 255)
    return clear_frame(drop_dark_lines(drop_dark_flat(p, x, thr), x, thr), scan_frame(x)) if thr is not None else p


@torch.no_grad()
def fill_with(pair, x: torch.Tensor, mask: torch.Tensor, network: bool = True, guided: bool = True) -> torch.Tensor:
    """The fill of `mask` (the detector's, so a guided fill may look under it; guided=False: a painted mask)."""
    xp, h, w = pad_to(x[None])
    mp, _, _ = pad_to(mask[None])
    if network and getattr(pair.fill, "guided", False):
        out = pair.fill(xp, mp, torch.full((1, 1, 1, 1), 1.0 if guided else 0.0))
    elif network:
        out = pair.fill(xp, mp)
    else:
        out = xp * (1 - mp) + push_pull(xp, 1 - mp) * mp
    return (out[..., :h, :w][0] * 255).round() / 255


def grow(mask: torch.Tensor, px: int = 1) -> torch.Tensor:
    return F.max_pool2d(mask[None], 2 * px + 1, 1, px)[0]


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(10 * torch.log10(1 / ((a - b) ** 2).mean().clamp(min=1e-6)))


def val_photos(limit: int = None) -> list:
    return [load_rgb(p).float() / 255 for p in list_images(VAL)[:limit]]


def damaged_set(photos: list, kind: str = None) -> list:
    out = []
    for i, x in enumerate(photos):
        rng = random.Random(2024 + i + (0 if kind is None else 100_000 * (1 + list(KINDS).index(kind))))
        for _ in range(10):  # a draw that missed the photo (a scratch off its edge) is drawn again
            d, a = damage(x, rng) if kind is None else damage_one(x, rng, kind)
            if float(a.max()) > 0.25:
                break
        out.append((x, (d * 255).round() / 255, a))
    return out


def damage_one(x: torch.Tensor, rng: random.Random, kind: str) -> tuple:
    a, col = KINDS[kind](rng, x.shape[1], x.shape[2], x.numpy())
    a = torch.from_numpy(np.asarray(a, np.float32))[None]
    col = torch.from_numpy(np.broadcast_to(np.asarray(col, np.float32), x.shape).copy())
    return x * (1 - a) + col * a, a


def evaluate(pair, items: list, sens: float = 0.5, ablations: bool = True) -> dict:
    thr = threshold(sens)
    tp = fp = fn = 0.0
    tol = {"pred_ok": 0.0, "pred": 0.0, "target_found": 0.0, "target": 0.0}
    rows = []
    for clean, dmg, alpha in items:
        prob = prob_of(pair, dmg, thr)
        target, weight = damage_target(alpha[None], dmg[None], clean[None])
        target, weight = target[0], weight[0]
        pred = (prob >= thr).float()
        tp += float((pred * target * weight).sum())
        fp += float((pred * (1 - target) * weight).sum())
        fn += float(((1 - pred) * target * weight).sum())
        # with a one-pixel tolerance (as crack-detection benchmarks score thin structures): a mark within a pixel of
        # damage is right, damage within a pixel of a mark is found
        pw, tw = pred * weight, target * weight
        tol["pred_ok"] += float((pw * grow(target)).sum())
        tol["pred"] += float(pw.sum())
        tol["target_found"] += float((tw * grow(pred)).sum())
        tol["target"] += float(tw.sum())
        mask = grow(pred)
        row = {"input_db": psnr(dmg, clean), "stage_db": psnr(fill_with(pair, dmg, mask), clean),
               "marked": float(mask.mean())}
        if ablations:
            true_mask = grow((alpha > 0.05).float())
            row["oracle_fill_db"] = psnr(fill_with(pair, dmg, true_mask), clean)
            row["oracle_plain_fill_db"] = psnr(fill_with(pair, dmg, true_mask, guided=False), clean)
            row["oracle_pushpull_db"] = psnr(fill_with(pair, dmg, true_mask, network=False), clean)
            row["stage_pushpull_db"] = psnr(fill_with(pair, dmg, mask, network=False), clean)
        rows.append(row)
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    se = lambda k: float(np.std([r[k] - r["input_db"] for r in rows], ddof=1) / np.sqrt(len(rows)))
    out = {"f1": 2 * tp / max(1.0, 2 * tp + fp + fn), "precision": tp / max(1.0, tp + fp),
           "recall": tp / max(1.0, tp + fn), "photos": len(rows),
           "f1_tol1": f1_of(tol["pred_ok"] / max(1.0, tol["pred"]), tol["target_found"] / max(1.0, tol["target"])),
           "precision_tol1": tol["pred_ok"] / max(1.0, tol["pred"]), "recall_tol1": tol["target_found"] / max(1.0, tol["target"]), **{k: round(v, 4) for k, v in mean.items()},
           "gain_db": round(mean["stage_db"] - mean["input_db"], 3), "gain_se": round(se("stage_db"), 3)}
    if ablations:
        out["oracle_gain_db"] = round(mean["oracle_fill_db"] - mean["input_db"], 3)
        out["oracle_pushpull_gain_db"] = round(mean["oracle_pushpull_db"] - mean["input_db"], 3)
        out["pushpull_gain_db"] = round(mean["stage_pushpull_db"] - mean["input_db"], 3)
        out["oracle_plain_gain_db"] = round(mean["oracle_plain_fill_db"] - mean["input_db"], 3)
        d = [r["oracle_plain_fill_db"] - r["oracle_pushpull_db"] for r in rows]
        out["fill_vs_pushpull_db"] = round(float(np.mean(d)), 3)
        out["fill_vs_pushpull_se"] = round(float(np.std(d, ddof=1) / np.sqrt(len(d))), 3)
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in out.items()}


def f1_of(p: float, r: float) -> float:
    return 2 * p * r / max(1e-9, p + r)


def false_marks(pair, photos: list, sens: float = 0.5, soft: bool = False) -> dict:
    thr = threshold(sens)
    fr = []
    for i, x in enumerate(photos):
        if soft:
            x = photo_like(x, random.Random(777 + i))
        fr.append(float(grow((prob_of(pair, x, thr) >= thr).float()).mean()))
    return {"mean_marked": round(float(np.mean(fr)), 5), "worst_marked": round(float(np.max(fr)), 5),
            "photos_over_0.5pct": int(sum(f > 0.005 for f in fr)), "photos": len(fr)}


# ---- pictures ------------------------------------------------------------------------------------------------------

def to_img(x: torch.Tensor) -> np.ndarray:
    return (x.clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def overlay(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    red = torch.tensor([1.0, 0.1, 0.1]).view(3, 1, 1)
    return x * (1 - 0.8 * mask) + red * 0.8 * mask


def sheets(pair, items: list, out_dir: Path, old_dir: Path):
    from PIL import Image
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for clean, dmg, alpha in items[:6]:
        mask = grow((prob_of(pair, dmg, threshold(0.5)) >= threshold(0.5)).float())
        res = fill_with(pair, dmg, mask)
        h, w = 320, 320
        crop = lambda t: t[:, :h, :w] if t.shape[1] >= h and t.shape[2] >= w else F.pad(t, (0, max(0, w - t.shape[2]), 0, max(0, h - t.shape[1])))[:, :h, :w]
        rows.append(torch.cat([crop(dmg), crop(overlay(dmg, mask)), crop(res), crop(clean)], 2))
    Image.fromarray(to_img(torch.cat(rows, 1))).save(out_dir / "val_examples.jpg", quality=85)
    old = sorted(old_dir.glob("*.png")) if old_dir.is_dir() else []
    for p in old:
        x = load_rgb(p).float() / 255
        mask = grow((prob_of(pair, x, threshold(0.5)) >= threshold(0.5)).float())
        res = fill_with(pair, x, mask)
        sheet = Image.fromarray(to_img(torch.cat([x, overlay(x, mask), res], 2)))
        k = min(1.0, 1500 / sheet.width)  # docs-sized: the 100 % crops below show the detail
        sheet.resize((int(sheet.width * k), int(sheet.height * k)), Image.LANCZOS).save(out_dir / f"old_{p.stem}.jpg", quality=82)
        # 100 % crops where most was filled
        m = mask[0]
        k = 160
        if m.sum() > 0 and x.shape[1] > k and x.shape[2] > k:
            dens = F.avg_pool2d(m[None, None], k, k // 4)[0, 0]
            iy, ix = divmod(int(dens.argmax()), dens.shape[1])
            y, x0 = iy * (k // 4), ix * (k // 4)
            c = lambda t: t[:, y:y + k, x0:x0 + k]
            crop = torch.cat([c(x), c(overlay(x, mask)), c(res)], 2)
            Image.fromarray(to_img(F.interpolate(crop[None], scale_factor=2, mode="nearest")[0])).save(
                out_dir / f"old_{p.stem}_crop.jpg", quality=90)


def main():
    global DETECT_TTA
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", default="scratch_cpu")
    ap.add_argument("--out", default=str(DOCS / "scratch_metrics.json"))
    ap.add_argument("--limit", type=int, default=None, help="fewer photos (a quick look)")
    ap.add_argument("--sheets", action="store_true", help="write the pictures into docs/training/scratches/")
    ap.add_argument("--tta", default=DETECT_TTA, choices=["rot180", "none"],
                    help="how the engine runs the detector (the manifest's tta; none: one run per window)")
    args = ap.parse_args()
    DETECT_TTA = None if args.tta == "none" else args.tta
    torch.manual_seed(0)
    pair, ck = load_pair(args.run)
    t0 = time.time()
    photos = val_photos(args.limit)
    items = damaged_set(photos)
    detect = evaluate(pair, items)
    print("default", detect, flush=True)
    sweep = {str(s): {**evaluate(pair, items, s, ablations=False), "undamaged_clean": false_marks(pair, photos, s)}
             for s in (0.25, 0.75, 1.0)}
    kinds = {k: evaluate(pair, damaged_set(photos[:30], k), ablations=False) for k in KINDS}
    clean = false_marks(pair, photos)
    soft = false_marks(pair, photos, soft=True)
    print("clean", clean, "soft", soft, flush=True)
    res = {
        "run": args.run, "step": int(ck["step"]), "checkpoint": portable(RUNS / args.run / "last.pt"),
        "date": time.strftime("%Y-%m-%d"), "val": list(VAL), "seconds": round(time.time() - t0, 1), "tta": args.tta,
        "summary": {
            "detect": {"val_f1": detect["f1"], "val_precision": detect["precision"], "val_recall": detect["recall"],
                       "val_f1_tol1": detect["f1_tol1"],
                       "clean_marked_mean": clean["mean_marked"], "clean_marked_worst": clean["worst_marked"]},
            "fill": {"val_gain_db": detect["gain_db"], "oracle_gain_db": detect["oracle_gain_db"],
                     "fill_vs_pushpull_db": detect["fill_vs_pushpull_db"]},
        },
        "default": detect, "sensitivity_sweep": sweep, "by_kind": kinds, "undamaged_clean": clean,
        "undamaged_soft_prints": soft,
    }
    Path(args.out).write_text(json.dumps(res, indent=1) + "\n")
    print(json.dumps(res["summary"], indent=1))
    if args.sheets:
        sheets(pair, items, DOCS / "scratches", DATASETS / "old-photos")


if __name__ == "__main__":
    main()
