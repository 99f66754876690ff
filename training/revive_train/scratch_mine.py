"""Hard negatives for the scratch detector: where a detector marks undamaged training photos.

Random crops of clean photos rarely land on the thin structures a detector mistakes for damage (a spear against the
sky, window leading, a wire, lettering), so a run meets them too seldom to unlearn them. `mine` runs a detector over
every training photo, undamaged, at the scales the crops are drawn at (native and downscaled by 2, and by 4 as the
engine's coarse pass sees large photos) and lists every place it marks (probability >= `thr`): the photo, the scale,
the centre and the peak. `hard_crop` draws a training crop around one of them, so a share of the batches shows the
detector exactly what it gets wrong, as undamaged photo (the damage drawn on top is still marked as damage).

The list is a pure function of the detector's weights and the training photos; it is cached by the weights' hash.
"""
import hashlib
import json
import random
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .data import TRAIN_FOLDERS, list_images, load_rgb
from .onnx_export import onnx_state
from .paths import DATASETS, ROOT

CACHE = Path.home() / ".cache" / "revive" / "scratch_mined"


def member_state(rel: str, prefix: str) -> dict:
    """onnx_state of "file.onnx", or of one member of an ensemble's file: "file.onnx#members.1" (its weights under
    `prefix`, as a single detector's)."""
    path, _, member = rel.partition("#")
    if not (ROOT / path).is_file():
        raise FileNotFoundError(f"{path} is not in the repository (any more): a run that starts from an earlier "
                                f"model needs its file back from git history (docs/training/scratches.md, Commands)")
    sd = onnx_state(ROOT / path, "")
    if member:
        sd = {k[len(member) + 1:]: v for k, v in sd.items() if k.startswith(member + ".")}
        if not sd:
            raise ValueError(f"{path} has no {member}")
    return {prefix + k: v for k, v in sd.items()}


def load_detector(rel: str):
    """A shipped detector file (a single ScratchDetector or a ScratchEnsemble: its members counted from the names),
    in eval mode, weights frozen."""
    from .scratch import ScratchDetector, ScratchEnsemble
    sd = member_state(rel, "")
    members = {k.split(".")[1] for k in sd if k.startswith("members.")}
    width = lambda k: int(sd[k].shape[0])
    first = "members.0.net." if members else "net."
    widths = [width(first + n) for n in ("inc.0.0.weight", "d1.0.0.weight", "d2.0.0.weight", "d3.0.0.weight")]
    det = ScratchEnsemble(widths, len(members)) if members else ScratchDetector(widths)
    det.load_state_dict(sd)
    return det.eval().requires_grad_(False)


def init_from_models(pair, models: dict) -> None:
    """Loads {"detect": onnx path, "fill": onnx path} (repository-relative; "file.onnx#members.K" takes one member of
    an ensemble's file) into a train_scratch.Pair."""
    sd = {}
    for part, rel in models.items():
        sd.update(member_state(rel, part + "."))
    if getattr(pair.fill, "guided", False):
        from .scratch import gate_fill_state, widen_fill_state
        sd = widen_fill_state(sd)
        if pair.fill.gate:
            sd = gate_fill_state(sd)
    try:
        missing, unexpected = pair.load_state_dict(sd, strict=False)
    except RuntimeError as e:  # a shape differs
        raise ValueError(f"init models {models} do not match the network's widths: {e}") from None
    if unexpected or any(k.split(".")[0] in models for k in missing):
        raise ValueError(f"init models {models} do not match the network: missing {missing}, unexpected {unexpected}")


@torch.no_grad()
def _prob(detect, x: torch.Tensor) -> np.ndarray:
    h, w = x.shape[-2:]
    ph, pw = (-h) % 32, (-w) % 32
    xp = F.pad(x[None], (0, pw, 0, ph), mode="reflect") if ph or pw else x[None]
    return torch.sigmoid(detect(xp))[0, 0, :h, :w].numpy()


def mine(detect, thr: float = 0.5, crop: int = 160, root: Path = DATASETS, folders=TRAIN_FOLDERS) -> list:
    """[{"photo": index into list_images(folders), "scale", "x", "y" (centre, in the scaled photo), "peak", "area"}]."""
    from scipy import ndimage
    out = []
    for i, p in enumerate(list_images(folders, root)):
        img = load_rgb(p).float()[None] / 255
        short = min(img.shape[-2:])
        for scale in (1.0, 0.5, 0.25):
            if short * scale < crop:
                continue
            x = img if scale == 1 else F.interpolate(img, scale_factor=scale, mode="area")
            prob = _prob(detect, x[0])
            lab, n = ndimage.label(prob >= thr)
            if not n:
                continue
            idx = np.arange(1, n + 1)
            peaks = ndimage.maximum(prob, lab, idx)
            areas = ndimage.sum(np.ones_like(prob), lab, idx)
            centres = ndimage.center_of_mass(prob, lab, idx)
            for pk, ar, (cy, cx) in zip(peaks, areas, centres):
                if ar >= 3:
                    out.append({"photo": i, "scale": scale, "x": round(float(cx), 1), "y": round(float(cy), 1),
                                "peak": round(float(pk), 3), "area": int(ar)})
    return out


def mined(models: dict, detect, thr: float = 0.5) -> list:
    """mine(), cached by the detector file's hash and the threshold."""
    file, _, member = models["detect"].partition("#")
    h = hashlib.sha256((ROOT / file).read_bytes() + member.encode()).hexdigest()[:16]
    path = CACHE / f"{h}_{thr}.json"
    if path.exists():
        return json.loads(path.read_text())
    res = mine(detect, thr)
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(res))
    tmp.replace(path)
    return res


def spot_weights(spots: list) -> list:
    """Each spot's chance: its peak over the square root of its photo's number of spots, so a photo with hundreds
    (a starry wallpaper whose stars look like dust) does not fill the hard crops."""
    per = {}
    for s in spots:
        per[s["photo"]] = per.get(s["photo"], 0) + 1
    return [s["peak"] / per[s["photo"]] ** 0.5 for s in spots]


def hard_crop(images: list, spots: list, size: int, rng: random.Random, weights: list = None) -> torch.Tensor:
    """A uint8 crop [3, size, size] around a random mined spot (chosen by spot_weights), its centre moved by up to a
    third of the crop, flipped half the time."""
    s = spots[rng.choices(range(len(spots)), weights or spot_weights(spots))[0]]
    img = images[s["photo"]]
    _, H, W = img.shape
    r = min(round(size / s["scale"]), H, W)  # the region that becomes the crop, in the photo's own pixels
    cx = s["x"] / s["scale"] + rng.uniform(-r / 3, r / 3)
    cy = s["y"] / s["scale"] + rng.uniform(-r / 3, r / 3)
    x0 = int(min(max(0, round(cx - r / 2)), W - r))
    y0 = int(min(max(0, round(cy - r / 2)), H - r))
    c = img[:, y0:y0 + r, x0:x0 + r]
    if r != size:
        c = F.interpolate(c[None].float(), size=(size, size), mode="bilinear", align_corners=False,
                          antialias=True)[0].round().clamp(0, 255).byte()
    return c.flip(2) if rng.random() < 0.5 else c
