"""Build the restorer's validation set: the val photos (CBSD68, McMaster, Set14, LIVE1; never used in training) with
seeded synthetic old-photo degradations. Rebuilding gives the same files.

    python3 training/build_valset.py [--out ~/.cache/revive/valset] [--sheet docs/training/degradations.png]

Each image is cropped (top-left) to a multiple of 16 on each side and degraded with revive_train.degrade at a seed
derived from its name (p_clean = 0: every input is degraded). Written as PNG: <out>/clean/<folder>_<name>.png and
<out>/degraded/<folder>_<name>.png, plus <out>/index.json (name, folder, seed, size). The folder is outside git.
--sheet also draws a sheet of example degradations from training crops (docs/training/degradations.png).
"""
import argparse
import json
import random
import sys
import zlib
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from revive_train.data import TRAIN_FOLDERS, VAL_FOLDERS, CropSampler, list_images, load_rgb
from revive_train.degrade import degrade

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


def sheet(path: Path, rows: int = 6, cols: int = 7, size: int = 96):
    """Each row: a clean training crop, then `cols - 1` independent random degradations of it."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sampler = CropSampler([load_rgb(p) for p in list_images(TRAIN_FOLDERS)[::23]], size=size, p_rescale=0.7, seed=5)
    rng = random.Random(11)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.6, rows * 1.6))
    for r in range(rows):
        x = sampler.batch(1)[0]
        for c in range(cols):
            y = x if c == 0 else degrade(x, rng, p_clean=0.0)
            axes[r, c].imshow(y.permute(1, 2, 0).numpy())
            axes[r, c].set_axis_off()
            if r == 0:
                axes[r, c].set_title("clean" if c == 0 else f"random #{c}", fontsize=8)
    fig.suptitle("Synthetic old-photo degradations (revive_train/degrade.py), 96 px training crops", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    ap.add_argument("--sheet", default="")
    args = ap.parse_args()
    idx = build(Path(args.out).expanduser())
    print(f"{len(idx)} pairs in {args.out}")
    if args.sheet:
        sheet(Path(args.sheet))
        print(f"sheet {args.sheet}")


if __name__ == "__main__":
    main()
