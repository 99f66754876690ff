"""Quality of the CPU speed-ups against the shipped model, on the validation sets the model was chosen on:
the fused graph (bench/restore/fuse_onnx.py, exact) and int8 QDQ versions of it (bench/restore/qdq_onnx.py)
calibrated on degraded training crops (never the validation images).

    /usr/bin/python3 bench/restore/int8_quality.py [--model models/restore-naf32-v2.onnx] [--calib 16] [--limit 0]

Measures, for each variant: PSNR to the clean image on the validation set (training/build_valset.py: CBSD68,
McMaster, Set14, LIVE1 with the training degradations; built if missing) and on CBSD68 at Gaussian sigma 25 (as
training/eval_restorer.py does: outputs clipped and quantised to 8 bits); and the largest difference from the
shipped model's output. Writes bench/.tmp/restore/int8/quality.json and prints it.
"""

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "training"))
from revive_train import valset as build_valset  # noqa: E402
from eval_restorer import ort_batch, q8  # noqa: E402
from revive_train.data import TRAIN_FOLDERS, CropSampler, list_images, load_rgb  # noqa: E402
from revive_train.degrade import add_gaussian, degrade  # noqa: E402
from revive_train.metrics import psnr  # noqa: E402
from revive_train.restorer import pad_to_multiple  # noqa: E402

MULT = 16


def sh(*args):
    r = subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True, cwd=str(ROOT))
    return r.stdout.strip().splitlines()[-1]


def run_model(model: Path, images: list) -> list:
    padded = [pad_to_multiple(x[None], MULT) for x in images]
    outs, _ = ort_batch(model, [p[0][0] for p in padded])
    return [o[:, :h, :w].clamp(0, 1) for o, (_, (h, w)) in zip(outs, padded)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(ROOT / "models" / "restore-naf32-v2.onnx"))
    ap.add_argument("--calib", type=int, default=16, help="calibration crops (256x256, degraded training images)")
    ap.add_argument("--limit", type=int, default=0, help="first N validation images only")
    ap.add_argument("--variants", default="", help="comma list of variants to evaluate (default: all)")
    ap.add_argument("--out", default=str(ROOT / "bench" / ".tmp" / "restore" / "int8"))
    ap.add_argument("--mean-conv", action="store_true", help="fuse_onnx.py --mean-conv: channel means as 1x1 convs")
    ap.add_argument("--install", default="", help="a variant to ship: copied to models/<id>.int8.onnx and listed as "
                    "the model's cpu_int8 in models/manifest.json with the measures of this run")
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    shipped = Path(a.model)
    fused = out / "fused.onnx"
    print("fuse:", sh(sys.executable, HERE / "fuse_onnx.py", shipped, fused, *(["--mean-conv"] if a.mean_conv else [])),
          file=sys.stderr)

    # calibration: random crops of the training images (every 10th image), seeded: half with the training
    # degradations, half with unclipped Gaussian noise (sigma 10-50), the two kinds of input the model is measured on
    imgs = [load_rgb(p) for p in list_images(TRAIN_FOLDERS)[::10]]
    sampler = CropSampler(imgs, size=256, p_rescale=0.5, seed=1234)
    rng = random.Random(4321)
    cal_dir = out / "calib"
    cal_dir.mkdir(exist_ok=True)
    items = []
    for i in range(a.calib):
        c = sampler.batch(1)[0]
        x = degrade(c, rng, p_clean=0.0).clamp(0, 1) if i % 2 == 0 else add_gaussian(c, rng.uniform(10, 50), seed=i)
        f = cal_dir / f"c{i}.bin"
        x[None].numpy().astype("<f4").tofile(f)
        items.append({"input": str(f), "shape": [1, 3, 256, 256]})
    cal_model = out / "calibration.onnx"
    sh(sys.executable, HERE / "qdq_onnx.py", fused, cal_model, "--calibration-model")
    spec = out / "calib.json"
    spec.write_text(json.dumps({"model": str(cal_model), "items": items}))
    ranges = out / "ranges.json"
    print("calibrate:", sh("node", HERE / "calibrate.cjs", spec, ranges), file=sys.stderr)
    variants = {"shipped": shipped, "fused": fused}
    for kind in ("minmax", "quantile"):
        for ends in (False, True):
            name = f"int8-{kind}" + ("-float-ends" if ends else "")
            v = out / f"{name}.onnx"
            sh(sys.executable, HERE / "qdq_onnx.py", fused, v, "--ranges", ranges, "--range-kind", kind,
               *(["--float-ends"] if ends else []))
            variants[name] = v
    # 7-bit weights (reduce_range): safe from the saturation of u8s8 kernels on x86 CPUs without VNNI
    v = out / "int8-quantile-float-ends-w7.onnx"
    sh(sys.executable, HERE / "qdq_onnx.py", fused, v, "--ranges", ranges, "--range-kind", "quantile", "--float-ends",
       "--weight-bits", "7")
    variants["int8-quantile-float-ends-w7"] = v

    if a.variants:
        keep = {"shipped", *a.variants.split(",")}
        variants = {k: v for k, v in variants.items() if k in keep}
    valdir = build_valset.DEFAULT_OUT
    if not (valdir / "index.json").exists():
        build_valset.build(valdir)
    data = build_valset.load(valdir)[: a.limit or None]
    cbsd = list_images(["val/cbsd68"])[: a.limit or None]
    clean25 = [load_rgb(p).float() / 255 for p in cbsd]
    noisy25 = [add_gaussian(x, 25, seed=i) for i, x in enumerate(clean25)]
    res = {"model": shipped.name, "calibration_crops": a.calib, "val_images": len(data), "cbsd68_images": len(cbsd),
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "variants": {}}
    ref_val = ref_25 = None
    for name, path in variants.items():
        t0 = time.time()
        ys = run_model(path, [deg for _, deg, _ in data])
        zs = run_model(path, noisy25)
        r = {
            "val_psnr": float(np.mean([psnr(q8(y), c) for y, (_, _, c) in zip(ys, data)])),
            "cbsd68_sigma25_psnr": float(np.mean([psnr(q8(z), c) for z, c in zip(zs, clean25)])),
            "bytes": path.stat().st_size,
            "eval_s": round(time.time() - t0, 1),
        }
        if ref_val is None:
            ref_val, ref_25 = ys, zs
        else:
            pairs = list(zip(ys + zs, ref_val + ref_25))
            r["max_abs_diff_vs_shipped"] = float(max((y - s).abs().max() for y, s in pairs))
            # how close to the float32 model a person would see it: 8-bit outputs compared with each other
            fid = [psnr(q8(y), q8(s)) for y, s in pairs]
            r["psnr_to_shipped_mean"] = float(np.mean(fid))
            r["psnr_to_shipped_min"] = float(np.min(fid))
            off = [((q8(y) - q8(s)).abs() * 255 > 2.5).float().mean().item() for y, s in pairs]
            r["share_over_2_levels"] = float(np.mean(off))
            r["val_psnr_change_db"] = r["val_psnr"] - res["variants"]["shipped"]["val_psnr"]
            r["sigma25_psnr_change_db"] = r["cbsd68_sigma25_psnr"] - res["variants"]["shipped"]["cbsd68_sigma25_psnr"]
        res["variants"][name] = r
        print(name, json.dumps(r), file=sys.stderr)
    (out / "quality.json").write_text(json.dumps(res, indent=1))
    print(json.dumps(res, indent=1))
    if a.install:
        install(shipped, variants[a.install], a.install, res)


def install(shipped: Path, variant: Path, name: str, res: dict):
    """Ship a variant as the model's CPU int8 copy: models/<id>.int8.onnx, listed in the manifest entry's cpu_int8."""
    import shutil
    from revive_train.onnx_export import sha256, update_manifest
    models = ROOT / "models"
    m = json.loads((models / "manifest.json").read_text())
    entry = next(e for e in m["models"] if e["file"] == shipped.name)
    if entry["sha256"] != sha256(shipped):
        raise SystemExit(f"{shipped} is not the file the manifest lists for {entry['id']}")
    dst = models / f"{entry['id']}.int8.onnx"
    shutil.copyfile(variant, dst)
    r = res["variants"][name]
    if min(r["val_psnr_change_db"], r["sigma25_psnr_change_db"]) < -0.1:
        raise SystemExit(f"{name} loses more than 0.1 dB ({r['val_psnr_change_db']:+.3f} / "
                         f"{r['sigma25_psnr_change_db']:+.3f}): not installed")
    entry["cpu_int8"] = {
        "file": dst.name, "sha256": sha256(dst), "bytes": dst.stat().st_size,
        "metrics": {"variant": name, "date": res["date"], "calibration_crops": res["calibration_crops"],
                    **{k: r[k] for k in ("val_psnr", "cbsd68_sigma25_psnr", "val_psnr_change_db",
                                         "sigma25_psnr_change_db", "max_abs_diff_vs_shipped", "psnr_to_shipped_mean",
                                         "psnr_to_shipped_min", "share_over_2_levels")}},
    }
    update_manifest(entry)
    print(f"installed {dst.name} as the cpu_int8 copy of {entry['id']}", file=sys.stderr)


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
