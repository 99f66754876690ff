""""No harm" and denoising through the real engine: the whole default restore (the `revive` CLI, out/cli/revive.js;
npm run build:cli) on photos with a clean reference, with "adapt to each photo" (the default) and with --noise-fixed
(the network at full strength, as before), in one run:

    /usr/bin/python3 training/eval_noharm.py [--model ID] [--out docs/training/noharm_metrics.json]
        [--models-dir DIR] [--flags "--strength 0 --tone 0"] [--arms adapted] [--tag NAME]

--models-dir: a candidate models folder (the CLI reads it through REVIVE_MODELS_DIR); --flags: more CLI options for
every run (e.g. the scratch stage alone: --strength 0); --arms: which of adapted,fixed to run; --tag: names the
output folders, so two candidates' outputs can be kept side by side.

Sets (never used in training; the same pictures every run):
- clean: the 129 clean photos of the restorer's validation set (CBSD68, McMaster, Set14, LIVE1): PSNR to themselves;
- damaged: the same photos with their seeded old-photo damage (training/build_valset.py);
- live1_jpeg20: LIVE1 saved at JPEG quality 20 with 4:2:0 chroma (PIL), decoded as the input;
- polyu: PolyU real camera noise (100 pairs, the noisy shot against the averaged one);
- cbsd68_sigma25: CBSD68 with seeded Gaussian noise, sigma 25, clipped to 8 bits.
Inputs are written once as PNG under ~/.cache/revive/noharm; outputs are PNG; PSNR over RGB, 8 bits, capped at 60 dB.
The old photos have no reference: their amounts and NIQE (input, adapted, fixed) are listed.
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from revive_train import valset
from revive_train.data import list_images, load_rgb
from revive_train.degrade import add_gaussian
from revive_train.niqe import niqe
from revive_train.paths import ROOT
from fit_amount import crop16, jpeg

CLI = ROOT / "out" / "cli" / "revive.js"
WORK = Path.home() / ".cache" / "revive" / "noharm"


def save(a: np.ndarray, path: Path):
    if not path.exists():
        Image.fromarray(a).save(path)


def arr(t) -> np.ndarray:
    """[3, H, W] float tensor in [0, 1] -> HWC uint8, cropped to a multiple of 16 like the validation set."""
    a = (t.clamp(0, 1) * 255 + 0.5).byte().permute(1, 2, 0).numpy()
    return a[: a.shape[0] // 16 * 16, : a.shape[1] // 16 * 16]


def build() -> dict:
    """{set: [(input png, clean png or None)]}, written once."""
    vs = valset.DEFAULT_OUT
    if not (vs / "index.json").exists():
        valset.build(vs)
    idx = json.loads((vs / "index.json").read_text())
    S = {"clean": [(vs / "clean" / f"{e['name']}.png",) * 2 for e in idx],
         "damaged": [(vs / "degraded" / f"{e['name']}.png", vs / "clean" / f"{e['name']}.png") for e in idx]}
    for name in ("live1_jpeg20", "polyu", "cbsd68_sigma25", "ref"):
        (WORK / name).mkdir(parents=True, exist_ok=True)
    S["live1_jpeg20"] = []
    for p in list_images(["val/live1"]):
        c = crop16(load_rgb(p).float() / 255)
        ref, inp = WORK / "ref" / f"live1_{p.stem}.png", WORK / "live1_jpeg20" / f"{p.stem}.png"
        save(arr(c), ref)
        if not inp.exists():
            save(arr(jpeg(c, 20)), inp)  # 4:2:0, as fit_amount.py's validation set
        S["live1_jpeg20"].append((inp, ref))
    S["polyu"] = []
    for p in list_images(["val/polyu"]):
        if "_real" not in p.name:
            continue
        stem = p.stem.replace("_real", "")
        ref, inp = WORK / "ref" / f"polyu_{stem}.png", WORK / "polyu" / f"{stem}.png"
        save(arr(load_rgb(str(p).replace("_real", "_mean")).float() / 255), ref)
        save(arr(load_rgb(p).float() / 255), inp)
        S["polyu"].append((inp, ref))
    S["cbsd68_sigma25"] = []
    for p in list_images(["val/cbsd68"]):
        c = load_rgb(p).float() / 255
        ref, inp = WORK / "ref" / f"cbsd68_{p.stem}.png", WORK / "cbsd68_sigma25" / f"{p.stem}.png"
        save(arr(c), ref)
        save(arr(add_gaussian(c, 25, zlib.crc32(p.name.encode()))), inp)
        S["cbsd68_sigma25"].append((inp, ref))
    S["old_photos"] = [(p, None) for p in list_images(["old-photos"])]
    return S


def run_cli(inputs: list, out: Path, *flags, models_dir: Path = None) -> dict:
    if out.exists():
        shutil.rmtree(out)
    cmd = ["node", str(CLI), "restore", *map(str, inputs), "--out", str(out), "--format", "png", "--json", *flags]
    env = dict(os.environ, REVIVE_MODELS_DIR=str(models_dir)) if models_dir else None
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=str(ROOT), env=env)
    per = {l["input"]: l for l in (json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")) if "input" in l}
    bad = [l for l in per.values() if l["status"] != "ok"]
    if res.returncode != 0 or bad or len(per) != len(inputs):
        raise SystemExit(f"revive restore failed ({res.returncode}): {bad[:2]} {res.stderr[-2000:]}")
    return per


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    m = float(((a.astype(np.float64) - b.astype(np.float64)) ** 2).mean())
    return 60.0 if m == 0 else min(60.0, 10 * math.log10(255 ** 2 / m))


def load(p) -> np.ndarray:
    return np.asarray(Image.open(p).convert("RGB"))


def summary(v: list) -> dict:
    return {"mean": round(float(np.mean(v)), 2), "worst": round(float(np.min(v)), 2)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="restore model id (default: the manifest's default)")
    ap.add_argument("--out", type=Path, default=None, help="write the numbers here (JSON)")
    ap.add_argument("--sets", default="clean,damaged,live1_jpeg20,polyu,cbsd68_sigma25,old_photos")
    ap.add_argument("--models-dir", type=Path, default=None, help="a candidate models folder (REVIVE_MODELS_DIR)")
    ap.add_argument("--flags", default="", help="more CLI options for every run")
    ap.add_argument("--arms", default="adapted,fixed")
    ap.add_argument("--tag", default="", help="suffix of the output folders")
    args = ap.parse_args()
    if not CLI.exists():
        raise SystemExit(f"{CLI} is missing: npm run build:cli")
    S = build()
    model = ("--model", args.model) if args.model else ()
    res = {}
    for name in args.sets.split(","):
        items = S[name]
        row = {"n": len(items)}
        arms = {"adapted": (), "fixed": ("--noise-fixed",)}
        for arm in args.arms.split(","):
            out = WORK / "out" / f"{name}-{arm}{'-' + args.tag if args.tag else ''}"
            per = run_cli([i for i, _ in items], out, *model, *arms[arm], *args.flags.split(),
                          models_dir=args.models_dir)
            if arm == "adapted":
                am = [per[str(i)].get("noiseAmount") for i, _ in items]
                row["amount"] = {"mean": round(float(np.mean(am)), 3), "min": min(am), "max": max(am)}
                if name == "old_photos":
                    row["amounts"] = {Path(i).stem: per[str(i)].get("noiseAmount") for i, _ in items}
            if items[0][1] is None:  # no reference: NIQE (lower = more natural), per photo
                row.setdefault("niqe_input", {Path(i).stem: round(niqe(load(i)), 3) for i, _ in items})
                row[f"niqe_{arm}"] = {Path(i).stem: round(niqe(load(per[str(i)]["output"])), 3) for i, _ in items}
                continue
            ps, p0 = [], []
            for i, c in items:
                ref = load(c)
                ps.append(psnr(load(per[str(i)]["output"]), ref))
                p0.append(psnr(load(i), ref))
            row["input"] = summary(p0)
            row[arm] = summary(ps)
        res[name] = row
        print(name, json.dumps(row), flush=True)
    if args.out:
        args.out.write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
