"""Build the restorer's validation set: the val photos (CBSD68, McMaster, Set14, LIVE1; never used in training) with
seeded synthetic old-photo degradations. Rebuilding gives the same files.

    python3 training/build_valset.py [--out ~/.cache/revive/valset] [--sheet docs/training/degradations.png]

The set itself is revive_train/valset.py (what it holds, how it is seeded); this script builds it into a folder
outside git.
--sheet also draws a sheet of example degradations from training crops (docs/training/degradations.png).
"""
import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from revive_train.data import TRAIN_FOLDERS, CropSampler, list_images, load_rgb
from revive_train.degrade import degrade
from revive_train.valset import DEFAULT_OUT, build


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
