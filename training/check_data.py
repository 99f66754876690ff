"""Checks that need ../shared (the datasets and the NIQE parameters), moved out of the test suite so that the tests
run on any clone: the training and validation folders are disjoint and complete, NIQE ranks a clean CBSD68 photo
above its noisy and blurred versions, is deterministic, and gives BasicSR's (and MATLAB's) 5.7296 on Set14's baboon.

    /usr/bin/python3 training/check_data.py        # exit status 1 when a check fails

Run it on a machine with ../shared (or $REVIVE_DATASETS) before training or evaluating there.
"""
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from revive_train.data import TRAIN_FOLDERS, VAL_FOLDERS, list_images, load_rgb
from revive_train.niqe import PARAMS, niqe
from revive_train.paths import DATASETS


def checks():
    train = list_images(TRAIN_FOLDERS)
    yield "train folders hold 432 + 80 + 27 photos", len(train) == 432 + 80 + 27
    val = list_images(VAL_FOLDERS)
    yield "train and val folders are disjoint", not {p.resolve() for p in train} & {p.resolve() for p in val}
    yield "photos decode as uint8", load_rgb(train[0]).dtype == torch.uint8
    yield f"NIQE parameters at {PARAMS}", PARAMS.exists()
    x = load_rgb(DATASETS / "val" / "cbsd68" / "101085.png").float() / 255
    g = torch.Generator().manual_seed(0)
    clean = niqe(x)
    noisy = niqe((x + 0.06 * torch.randn(x.shape, generator=g)).clamp(0, 1))
    blurred = niqe(torch.nn.functional.avg_pool2d(x[None], 5, 1, 2, count_include_pad=False)[0])
    yield f"NIQE clean {clean:.3f} < noisy {noisy:.3f} and blurred {blurred:.3f}", clean < noisy and clean < blurred
    a = load_rgb(DATASETS / "val" / "cbsd68" / "101085.png").permute(1, 2, 0).numpy()
    yield "NIQE is deterministic", niqe(a) == niqe(a)
    baboon = niqe(load_rgb(DATASETS / "val" / "set14" / "baboon.png").permute(1, 2, 0).numpy())
    yield f"NIQE of Set14 baboon {baboon:.4f} = BasicSR's 5.7296 (within 2e-3)", abs(baboon - 5.7296) <= 2e-3


def main():
    ok = True
    for what, passed in checks():
        print(f"{'ok  ' if passed else 'FAIL'} {what}", flush=True)
        ok &= bool(passed)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
