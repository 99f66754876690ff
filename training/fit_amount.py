"""Fit "adapt to the photo" for a restore model: how much of the network's change each photo needs.

    /usr/bin/python3 training/fit_amount.py [--model restore-naf32-v2] [--hidden 8] [--write] [--models-dir DIR]

The network is trained on damaged photos; on a clean or lightly damaged one it still changes things (texture
smoothed, a camera's fine noise pattern turned into blotches) and the photo comes back worse than it went in. The
engine therefore blends the network's output over its input by a per-photo amount (src/core/restore/amount.ts):
features of the whole photo at full resolution -> a tiny regressor -> 0..1, multiplied into the user's strength.

This script fits that regressor on TRAINING photos only (train/bsd432, sunhays80, wallpapers; random crops of at
most 384 px, five per photo), each drawn from MIX: clean (20 %); the training degradation pipeline (45 %); JPEG at
quality 10-70 (15 %); one light damage (10 %: a little noise, grain, blur, resampling or a good JPEG); a camera shot
(10 %: degrade.camera_noise, then JPEG 70-95 4:2:0). The network runs through onnxruntime-node (the model's CPU
copy, what the app runs here), its output with the photo's tones kept as the engine keeps them
(revive_train/keep_tones.py), the features through the engine's own TypeScript (training/scripts/amount_features.ts).
For each photo the blend s gives MSE(s) = a - 2 s b + s^2 e (a = |x - c|^2, b = <y - x, c - x>, e = |y - x|^2 per
pixel); the regressor maximises the mean PSNR (capped at 60 dB) over photos,
plus a cross-entropy to each photo's oracle blend b / e (see fit()).

Then, on validation sets never used here, the table: network at full strength / adapted / the per-photo oracle:
clean photos (the 129 of the restorer's validation set), their seeded old-photo damage, LIVE1 at JPEG quality 20
(4:2:0), PolyU real camera noise, CBSD68 at sigma 25, the amount on the eight real old photos, and kinds of photo the
fit never saw as such (every 4th clean photo upscaled 2x, made grey, grey with noise, with mild noise, at JPEG 50).
--write puts the regressor and these numbers into models/manifest.json (the model's `amount`).
"""
import argparse
import hashlib
import io
import json
import random
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from revive_train import valset
from revive_train import degrade as D
from revive_train.data import TRAIN_FOLDERS, list_images, load_rgb
from revive_train.keep_tones import keep_tones
from revive_train.ort import ort_batch
from revive_train.paths import ROOT

CACHE = Path.home() / ".cache" / "revive" / "amount"
EPS = 255.0 ** 2 * 1e-6  # PSNR capped at 60 dB


def q8(x: torch.Tensor) -> torch.Tensor:
    return (x.clamp(0, 1) * 255).round() / 255


def crop16(x: torch.Tensor) -> torch.Tensor:
    return x[:, : x.shape[1] // 16 * 16, : x.shape[2] // 16 * 16]


def jpeg(x: torch.Tensor, q: int, sub: int = 2) -> torch.Tensor:
    a = (x.clamp(0, 1) * 255 + 0.5).byte().permute(1, 2, 0).numpy()
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="JPEG", quality=q, subsampling=sub)
    buf.seek(0)
    return torch.from_numpy(np.asarray(Image.open(buf).convert("RGB")).copy()).permute(2, 0, 1).float() / 255


LIGHT = [D.gaussian_noise, D.poisson_noise, D.film_grain, D.gaussian_blur, D.down_up,
         lambda x, rng: jpeg(x, rng.randint(40, 90), rng.choice([0, 2]))]


# what a photo's version is, with its share: restoring damaged prints is the app's main job, clean photos come in too,
# and camera shots (sensor noise through a camera's processing, then its JPEG: degrade.camera_noise)
MIX = (("clean", 0.2), ("damaged", 0.45), ("jpeg", 0.15), ("light", 0.1), ("camera", 0.1))


def training_items(per_photo: int = 5, crop: int = 384, seed: int = 0) -> list:
    """(degraded, clean) pairs from the training photos: per photo `per_photo` random crops, each a version drawn
    from MIX; a pure function of the seed."""
    rng = random.Random(seed)
    items = []
    for p in list_images(TRAIN_FOLDERS):
        img = load_rgb(p).float() / 255
        h, w = img.shape[1], img.shape[2]
        ch, cw = min(crop, h) // 16 * 16, min(crop, w) // 16 * 16
        for _ in range(per_photo):
            y0, x0 = rng.randint(0, h - ch), rng.randint(0, w - cw)
            c = img[:, y0:y0 + ch, x0:x0 + cw].contiguous()
            kind = rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
            if kind == "clean":
                items.append((c, c))
            elif kind == "damaged":
                items.append((q8(D.degrade(c, rng, p_clean=0.0)), c))
            elif kind == "jpeg":
                items.append((jpeg(c, rng.randint(10, 70), rng.choice([0, 2, 2])), c))
            elif kind == "camera":
                items.append((jpeg(D.camera_noise(c, rng).clamp(0, 1), rng.randint(70, 95), 2), c))
            else:
                items.append((q8(rng.choice(LIGHT)(c, rng).clamp(0, 1)), c))
    return items


def validation_sets() -> dict:
    vs = valset.DEFAULT_OUT
    if not (vs / "index.json").exists():
        valset.build(vs)
    idx = json.loads((vs / "index.json").read_text())
    S = {"clean": [], "damaged": []}
    for e in idx:
        c = valset.read_png(vs / "clean" / f"{e['name']}.png")
        S["clean"].append((c, c))
        S["damaged"].append((valset.read_png(vs / "degraded" / f"{e['name']}.png"), c))
    S["live1_jpeg20"] = [(jpeg(c, 20), c) for c in (crop16(load_rgb(p).float() / 255) for p in list_images(["val/live1"]))]
    S["polyu"] = [(crop16(load_rgb(p).float() / 255), crop16(load_rgb(str(p).replace("_real", "_mean")).float() / 255))
                  for p in list_images(["val/polyu"]) if "_real" in p.name]
    S["cbsd68_sigma25"] = []
    for p in list_images(["val/cbsd68"]):
        c = crop16(load_rgb(p).float() / 255)
        S["cbsd68_sigma25"].append((q8(D.add_gaussian(c, 25, zlib.crc32(p.name.encode()))), c))
    S["old_photos"] = [(crop16(load_rgb(p).float() / 255), None) for p in list_images(["old-photos"])]
    S.update(unseen_sets([c for c, _ in S["clean"]][::4]))
    return S


def unseen_sets(clean: list) -> dict:
    """Kinds of photo the fit never saw as such: upscaled, black-and-white, mild noise, a middling JPEG."""
    def up2(c):
        return q8(torch.nn.functional.interpolate(c[None], scale_factor=2, mode="bicubic", align_corners=False)[0])

    def grey(c):
        return q8((0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2])[None].repeat(3, 1, 1))

    def noise(c, sigma, seed):
        return q8(c + sigma / 255 * torch.randn(c.shape, generator=torch.Generator().manual_seed(seed)))

    return {"upscaled_2x_clean": [(up2(c), up2(c)) for c in clean[:12]],
            "grey_clean": [(grey(c), grey(c)) for c in clean],
            "grey_noise10": [(noise(grey(c), 10, i), grey(c)) for i, c in enumerate(clean)],
            "colour_noise5": [(noise(c, 5, i), c) for i, c in enumerate(clean)],
            "colour_jpeg50": [(jpeg(c, 50), c) for c in clean]}


def features(xs: list) -> np.ndarray:
    with tempfile.TemporaryDirectory() as d:
        items = []
        for i, x in enumerate(xs):
            f = Path(d) / f"{i}.rgb"
            f.write_bytes((x * 255).round().byte().permute(1, 2, 0).contiguous().numpy().tobytes())
            items.append({"input": str(f), "width": x.shape[2], "height": x.shape[1]})
        (Path(d) / "spec.json").write_text(json.dumps({"items": items}))
        r = subprocess.run(["npx", "jiti", "training/scripts/amount_features.ts", str(Path(d) / "spec.json")],
                           cwd=str(ROOT), check=True, capture_output=True, text=True)
        out = json.loads(r.stdout)
        return out["names"], np.array(out["features"], dtype=np.float64)


def stats(model: Path, items: list, tag: str) -> dict:
    """Per item: a, b, e (see the docstring; the network's part, cached by model file and item contents) and the
    features (computed every time: the engine's code may have changed)."""
    h = hashlib.sha256(model.read_bytes())
    h.update(b"keep-tones")  # the network's part is scored with the photo's tones kept (not so before 2026-12-07)
    for x, c in items:
        h.update((x * 255).round().byte().numpy().tobytes()[::97])
    f = CACHE / f"{tag}-{h.hexdigest()[:16]}.npz"
    if f.exists():
        z = np.load(f)
        out = {k: z[k] for k in ("a", "b", "e")}
    else:
        out = network_stats(model, items)
        CACHE.mkdir(parents=True, exist_ok=True)
        np.savez(f, **out)
    names, feat = features([x for x, _ in items])
    return {**out, "names": np.array(names), "feat": feat}


def network_stats(model: Path, items: list) -> dict:
    """The network's output as the engine uses it: with the photo's tones kept (keep_tones.py)."""
    ys, _ = ort_batch(model, [x for x, _ in items])
    A, Bv, E = [], [], []
    for (x, c), y in zip(items, ys):
        y = keep_tones(y.clamp(0, 1), x)
        x8, y8 = (x * 255).round().double(), (y.clamp(0, 1) * 255).round().double()
        d = y8 - x8
        E.append(float((d * d).mean()))
        if c is None:
            A.append(np.nan); Bv.append(np.nan)
        else:
            c8 = (c * 255).round().double()
            A.append(float(((x8 - c8) ** 2).mean())); Bv.append(float((d * (c8 - x8)).mean()))
    return {"a": np.array(A), "b": np.array(Bv), "e": np.array(E)}


def mse(st: dict, s) -> np.ndarray:
    return np.maximum(st["a"] - 2 * s * st["b"] + s * s * st["e"], 0)


def psnr(m) -> np.ndarray:
    return 10 * np.log10(255.0 ** 2 / (m + EPS))


def oracle(st: dict) -> np.ndarray:
    return np.clip(np.where(st["e"] > 0, st["b"] / np.maximum(st["e"], 1e-12), 0), 0, 1)


class Net(torch.nn.Module):
    def __init__(self, n: int, hidden: int):
        super().__init__()
        self.l1 = torch.nn.Linear(n, hidden)
        self.l2 = torch.nn.Linear(hidden, 1)

    def forward(self, x):
        return torch.sigmoid(self.l2(torch.tanh(self.l1(x)))).squeeze(-1)


def fit(st: dict, hidden: int, oracle_weight: float, steps: int = 3000, wd: float = 1e-3, seed: int = 0) -> dict:
    """Mean PSNR alone is indifferent where the network gains little (a damaged print whose damage it only partly
    undoes): any amount does there, and the fit drifts low. The cross-entropy towards each photo's oracle blend makes
    every photo's decision count the same, whatever is at stake in dB."""
    torch.manual_seed(seed)
    mean, std = st["feat"].mean(0), st["feat"].std(0) + 1e-6
    X = torch.tensor((st["feat"] - mean) / std, dtype=torch.float32)
    a, b, e = (torch.tensor(st[k], dtype=torch.float32) for k in ("a", "b", "e"))
    target = torch.tensor(oracle(st), dtype=torch.float32)
    net = Net(X.shape[1], hidden)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2, weight_decay=wd)
    for i in range(steps):
        s = net(X)
        m = torch.clamp(a - 2 * s * b + s * s * e, min=0)
        loss = torch.log10(m + EPS).mean()  # = -mean PSNR / 10 + const
        loss = loss + oracle_weight * torch.nn.functional.binary_cross_entropy(s, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return {"features": [str(n) for n in st["names"]], "mean": mean.tolist(), "std": std.tolist(),
            "w1": net.l1.weight.detach().double().tolist(), "b1": net.l1.bias.detach().double().tolist(),
            "w2": net.l2.weight.detach().double()[0].tolist(), "b2": float(net.l2.bias.detach()[0])}


def predict(reg: dict, feat: np.ndarray) -> np.ndarray:
    """What src/core/restore/amount.ts predictAmount computes."""
    x = (feat - np.array(reg["mean"])) / np.array(reg["std"])
    h = np.tanh(x @ np.array(reg["w1"]).T + np.array(reg["b1"]))
    return 1 / (1 + np.exp(-(h @ np.array(reg["w2"]) + reg["b2"])))


def table(reg: dict, sets: dict) -> dict:
    out = {}
    for name, st in sets.items():
        s = predict(reg, st["feat"])
        row = {"n": int(len(s)), "amount_mean": round(float(s.mean()), 3), "amount_min": round(float(s.min()), 3),
               "amount_max": round(float(s.max()), 3)}
        if not np.isnan(st["a"]).all():
            for k, v in (("input", np.zeros_like(s)), ("network", np.ones_like(s)), ("adapted", s), ("oracle", oracle(st))):
                p = psnr(mse(st, v))
                row[k] = round(float(p.mean()), 2)
                row[k + "_worst"] = round(float(p.min()), 2)
        else:
            row["amounts"] = [round(float(v), 3) for v in s]
        out[name] = row
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="restore-naf32-v2", help="manifest id of the restore model")
    ap.add_argument("--hidden", type=int, default=8)
    ap.add_argument("--wd", type=float, default=1e-3)
    ap.add_argument("--oracle-weight", type=float, default=1.0, help="weight of the cross-entropy to the oracle blend")
    ap.add_argument("--write", action="store_true", help="write the regressor into the models folder's manifest.json")
    ap.add_argument("--models-dir", type=Path, default=ROOT / "models", help="a candidate models folder")
    args = ap.parse_args()
    man_path = args.models_dir / "manifest.json"
    man = json.loads(man_path.read_text())
    entry = next(m for m in man["models"] if m["id"] == args.model)
    onnx = args.models_dir / entry.get("cpu_int8", entry)["file"]
    print(f"model {args.model}: {onnx.name}", flush=True)
    train = stats(onnx, training_items(), "train")
    print(f"training items: {len(train['a'])}", flush=True)
    val = {k: stats(onnx, v, k) for k, v in validation_sets().items()}
    reg = fit(train, args.hidden, args.oracle_weight, wd=args.wd)
    tr = table(reg, {"training": train})["training"]
    print(json.dumps(tr))
    res = table(reg, val)
    for k, v in res.items():
        print(k, json.dumps(v))
    if args.write:
        reg["metrics"] = {"fitted_on": "training photos: 5 crops of at most 384 px each, clean 20 %, damaged 45 %, "
                                       "JPEG 10-70 15 %, light damage 10 %, camera shots 10 %; network output "
                                       f"with tones kept; hidden {args.hidden}, "
                                       f"oracle weight {args.oracle_weight}",
                          "training": tr, "validation": res}
        entry["amount"] = reg
        man_path.write_text(json.dumps(man, indent=2) + "\n")
        print(f"wrote {args.model}.amount into {man_path}")


if __name__ == "__main__":
    main()
