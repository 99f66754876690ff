"""Training images, read in place from ../shared/datasets/train, and random multi-scale crops.

Every image is decoded once into memory as uint8 (about 0.5 GB for the three training folders). A crop is either
native resolution or taken from the whole image downscaled by a random factor, so the models see both film grain
sized detail and whole-scene structure. The val folders are never read here.
"""
import random
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .paths import DATASETS

TRAIN_FOLDERS = ("train/bsd432", "train/sunhays80", "train/wallpapers")
VAL_FOLDERS = ("val/cbsd68", "val/mcmaster", "val/set14", "val/live1")
EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}


def list_images(folders, root: Path = DATASETS) -> list:
    files = []
    for f in folders:
        d = root / f
        if not d.is_dir():
            raise FileNotFoundError(f"dataset folder missing: {d} (set REVIVE_DATASETS)")
        files += sorted(p for p in d.rglob("*") if p.suffix.lower() in EXTS)
    return files


def load_rgb(path) -> torch.Tensor:
    """uint8 tensor [3, H, W]."""
    with Image.open(path) as im:
        a = np.asarray(im.convert("RGB"))
    return torch.from_numpy(a.copy()).permute(2, 0, 1).contiguous()


class CropSampler:
    """Draws batches of random crops in [0, 1], float32 [N, 3, size, size].

    p_rescale: probability that a crop is taken from the image downscaled by a random factor, down to the whole
    short side fitting the crop; otherwise a native-resolution crop.
    """

    def __init__(self, images: list, size: int, p_rescale: float = 0.5, seed: int = 0, color_jitter: float = 0.0):
        if not images:
            raise ValueError("no training images")
        self.images = images
        self.size = size
        self.p_rescale = p_rescale
        self.rng = random.Random(seed)
        self.color_jitter = color_jitter

    @classmethod
    def from_folders(cls, folders=TRAIN_FOLDERS, root: Path = DATASETS, **kw):
        return cls([load_rgb(p) for p in list_images(folders, root)], **kw)

    def crop(self) -> torch.Tensor:
        rng, s = self.rng, self.size
        img = self.images[rng.randrange(len(self.images))]
        _, h, w = img.shape
        if min(h, w) < s:
            scale = s / min(h, w)
            img = F.interpolate(img[None].float(), size=(max(s, round(h * scale)), max(s, round(w * scale))),
                                mode="bilinear", align_corners=False)[0].round().clamp(0, 255).byte()
            _, h, w = img.shape
        elif rng.random() < self.p_rescale:
            # downscale by a factor in (s/short side, 1]: take an r x r region and resize it to s x s,
            # which equals cropping the whole image after downscaling it by s/r, at the cost of one crop
            r = round(s + (min(h, w) - s) * rng.random())
            y, x = rng.randint(0, h - r), rng.randint(0, w - r)
            region = img[:, y:y + r, x:x + r][None].float()
            img = F.interpolate(region, size=(s, s), mode="bilinear", align_corners=False,
                                antialias=True)[0].round().clamp(0, 255).byte()
            _, h, w = img.shape
        y, x = rng.randint(0, h - s), rng.randint(0, w - s)
        c = img[:, y:y + s, x:x + s]
        if rng.random() < 0.5:
            c = c.flip(2)
        return c

    def jitter(self, c: torch.Tensor) -> torch.Tensor:
        """Mild exposure and saturation change (each up to +-color_jitter), on half the crops; float [3,H,W] in [0,1]."""
        j, rng = self.color_jitter, self.rng
        if not j or rng.random() < 0.5:
            return c
        grey = c.mean(0, keepdim=True)
        c = grey + (c - grey) * (1 + j * (2 * rng.random() - 1))
        return (c * (1 + j * (2 * rng.random() - 1))).clamp(0, 1)

    def batch(self, n: int) -> torch.Tensor:
        return torch.stack([self.jitter(self.crop().float() / 255.0) for _ in range(n)])


def val_crops(size: int = 128, per_image: int = 1, folders=("val/cbsd68",), seed: int = 1234, limit=None,
              root: Path = DATASETS):
    """Fixed, seeded centre-ish crops of the val images (of `folders` under `root`), [N, 3, size, size] in [0, 1]."""
    rng = random.Random(seed)
    out = []
    for p in list_images(folders, root)[:limit]:
        img = load_rgb(p)
        _, h, w = img.shape
        for _ in range(per_image):
            y, x = rng.randint(0, h - size), rng.randint(0, w - size)
            out.append(img[:, y:y + size, x:x + size])
    return torch.stack(out).float() / 255.0
