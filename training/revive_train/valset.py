"""The restorer's validation set: the val photos (CBSD68, McMaster, Set14, LIVE1; never used in training) with seeded
synthetic old-photo degradations, built once into a folder outside git (training/build_valset.py builds it and draws
the sheet of examples; eval_restorer.py reads it). Rebuilding gives the same files.

Each image is cropped (top-left) to a multiple of 16 on each side and degraded with revive_train.degrade at a seed
derived from its name (p_clean = 0: every input is degraded). Written as PNG: <out>/clean/<folder>_<name>.png and
<out>/degraded/<folder>_<name>.png, plus <out>/index.json (name, folder, seed, size).
"""
import json
import random
import zlib
from pathlib import Path

import torch
from PIL import Image

from .data import VAL_FOLDERS, list_images, load_rgb
from .degrade import degrade

DEFAULT_OUT = Path.home() / ".cache" / "revive" / "valset"
FOLDERS = tuple(f for f in VAL_FOLDERS)  # cbsd68, mcmaster, set14, live1 (polyu is real noise, not used here)
MULT = 16


def to_png(x: torch.Tensor, path: Path):
    a = (x.clamp(0, 1) * 255 + 0.5).byte().permute(1, 2, 0).numpy()
    Image.fromarray(a).save(path)


def read_png(path) -> torch.Tensor:
    return load_rgb(path).float() / 255


def build(out: Path = DEFAULT_OUT) -> list:
    (out / "clean").mkdir(parents=True, exist_ok=True)
    (out / "degraded").mkdir(parents=True, exist_ok=True)
    index = []
    for folder in FOLDERS:
        for p in list_images([folder]):
            img = load_rgb(p).float() / 255
            _, h, w = img.shape
            img = img[:, :h - h % MULT, :w - w % MULT]
            name = f"{folder.split('/')[-1]}_{p.stem}"
            seed = zlib.crc32(name.encode())
            deg = degrade(img, random.Random(seed), p_clean=0.0)
            to_png(img, out / "clean" / f"{name}.png")
            to_png(deg, out / "degraded" / f"{name}.png")
            index.append({"name": name, "folder": folder, "seed": seed, "h": img.shape[1], "w": img.shape[2]})
    (out / "index.json").write_text(json.dumps(index, indent=1))
    return index


def load(out: Path = DEFAULT_OUT):
    """[(entry, degraded [3,H,W], clean [3,H,W])] from a built valset."""
    index = json.loads((out / "index.json").read_text())
    return [(e, read_png(out / "degraded" / f"{e['name']}.png"), read_png(out / "clean" / f"{e['name']}.png"))
            for e in index]
