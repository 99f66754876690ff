"""docs/keep-tones.jpg: 100 % crops of the PolyU camera shots whose default restore gained most from keeping the
photo's tones: input | the network's tones (--network-tones) | keeps tones (the default) | the reference (the mean of
many shots). Reads the outputs of two eval_noharm.py runs:

    /usr/bin/python3 training/eval_noharm.py --arms adapted --sets polyu --tag keep
    /usr/bin/python3 training/eval_noharm.py --arms adapted --sets polyu --flags=--network-tones --tag free
    /usr/bin/python3 training/scripts/keep_tones_sheet.py [--free free] [--keep keep]
"""
import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from eval_noharm import WORK, psnr  # noqa: E402
from revive_train.paths import ROOT  # noqa: E402


def load(p: Path) -> np.ndarray:
    return np.asarray(Image.open(p).convert("RGB"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--free", default="free")
    ap.add_argument("--keep", default="keep")
    ap.add_argument("--rows", type=int, default=3)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "keep-tones.jpg")
    a = ap.parse_args()
    free, keep = WORK / "out" / f"polyu-adapted-{a.free}", WORK / "out" / f"polyu-adapted-{a.keep}"
    rows = []
    for o in sorted(keep.glob("*.png")):
        ref = load(WORK / "ref" / f"polyu_{o.name}")
        rows.append((psnr(load(o), ref) - psnr(load(free / o.name), ref), o.name))
    rows.sort(reverse=True)
    s, tiles = a.size, []
    for gain, name in rows[: a.rows]:
        ims = [load(WORK / "polyu" / name), load(free / name), load(keep / name), load(WORK / "ref" / f"polyu_{name}")]
        # the crop where the two restores differ most
        d = np.abs(ims[1].astype(int) - ims[2].astype(int)).sum(2).astype(float)
        h, w = d.shape
        cs = np.cumsum(np.cumsum(np.pad(d, ((1, 0), (1, 0))), 0), 1)
        box = cs[s:, s:] - cs[:-s, s:] - cs[s:, :-s] + cs[:-s, :-s]
        y, x = np.unravel_index(box.argmax(), box.shape)
        tiles.append(np.concatenate([im[y:y + s, x:x + s] for im in ims], 1))
        print(f"{name}: +{gain:.2f} dB")
    sheet = Image.fromarray(np.concatenate(tiles, 0))
    head = Image.new("RGB", (sheet.width, 18), "white")
    dr = ImageDraw.Draw(head)
    for i, t in enumerate(["camera shot (PolyU)", "network's tones", "keeps tones (default)", "reference"]):
        dr.text((i * s + 4, 3), t, fill="black")
    out = Image.new("RGB", (sheet.width, sheet.height + 18))
    out.paste(head, (0, 0))
    out.paste(sheet, (0, 18))
    out.save(a.out, quality=88)


if __name__ == "__main__":
    main()
