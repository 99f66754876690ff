"""Evaluate restorer arms side by side and draw the pictures for docs/training/restorer.md.

    python3 training/eval_restorer.py \
        --arm pixel=~/.cache/revive/runs/restorer_pixel_cpu/ema_0004000.pt \
        --arm diffloss=~/.cache/revive/runs/restorer_diffloss_cpu/ema_0004000.pt \
        [--onnx models/restore-naf32-v2.onnx] [--out docs/training]

An arm is a checkpoint (last.pt or an ema_*.pt snapshot; the EMA weights are used). Computes:
- the validation set (training/build_valset.py; built if missing): PSNR and SSIM to the clean image, NIQE of the
  output, per arm and for the degraded input, overall and per folder;
- colour Gaussian denoising on CBSD68 at sigma 25 (noise seeded per image, not clipped; outputs clipped and
  quantised to 8 bits; PSNR over RGB) for each arm and for the peer DnCNN through onnxruntime-node;
- NIQE on ../shared/datasets/old-photos (no reference) and a sheet input | arm 1 | arm 2 ...;
- with --onnx: speed of that model and of the peer with onnxruntime-node in one run (training/scripts/ort_speed.cjs);
- loss curves of the arms' runs.
Writes <out>/restorer_metrics.json, restorer_oldphotos.png, restorer_val_examples.png, restorer_curves.png.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from revive_train import valset
from revive_train.common import load_ema, read_log
from revive_train.data import list_images, load_rgb
from revive_train.degrade import add_gaussian
from revive_train.keep_tones import keep_tones
from revive_train.metrics import psnr, ssim
from revive_train.niqe import niqe
from revive_train.ort import ort_batch, ort_speed
from revive_train.paths import DATASETS, DOCS, portable
from revive_train.restorer import Restorer, pad_to_multiple

PEER = DATASETS.parent / "peers" / "dncnn_color_blind.onnx"
PEER_SIGMA25_REF = 31.22
LIMIT = 0  # --limit: first N validation images only (a quick check of the script)


def load_arm(path: Path) -> tuple:
    return load_ema(path, Restorer)


KEEP_TONES = False  # --keep-tones: outputs as the engine uses them (revive_train/keep_tones.py)


@torch.no_grad()
def run(net: Restorer, x: torch.Tensor) -> torch.Tensor:
    """[3, H, W] -> [3, H, W] in [0, 1], reflect-padded to the size multiple and cropped back, as the app does."""
    xp, (h, w) = pad_to_multiple(x[None], net.size_multiple)
    y = net(xp)[0, :, :h, :w].clamp(0, 1)
    return keep_tones(y, x.clamp(0, 1)).clamp(0, 1) if KEEP_TONES else y


def q8(x: torch.Tensor) -> torch.Tensor:
    return (x.clamp(0, 1) * 255).round() / 255


ARM_CACHE = Path.home() / ".cache" / "revive" / "eval_cache.json"


def arm_key(ck: dict) -> str:
    """Identifies an arm's weights: its checkpoint file, size and modification time."""
    p = Path(ck["_path"])
    st = p.stat()
    return f"{p.resolve()}:{st.st_size}:{int(st.st_mtime)}"


def cache_get(ck, part):
    c = json.loads(ARM_CACHE.read_text()) if ARM_CACHE.exists() else {}
    return c.get(arm_key(ck), {}).get(part + ("-kt" if KEEP_TONES else ""))


def cache_put(ck, part, value):
    part += "-kt" if KEEP_TONES else ""
    c = json.loads(ARM_CACHE.read_text()) if ARM_CACHE.exists() else {}
    c.setdefault(arm_key(ck), {})[part] = value
    ARM_CACHE.parent.mkdir(parents=True, exist_ok=True)
    ARM_CACHE.write_text(json.dumps(c))


def mean(v):
    return float(np.mean(v)) if len(v) else float("nan")


def eval_valset(arms: dict, valdir: Path, out: Path) -> dict:
    if not (valdir / "index.json").exists():
        valset.build(valdir)
    data = valset.load(valdir)[:LIMIT or None]
    cache = valdir / "reference_metrics.json"
    ref = json.loads(cache.read_text()) if cache.exists() else {}
    rows = {name: [] for name in ["input", *arms]}
    cached = {name: cache_get(ck, f"valset{LIMIT}") for name, (_, ck) in arms.items()}
    examples = []
    for i, (e, deg, clean) in enumerate(data):
        if e["name"] not in ref:
            ref[e["name"]] = {"psnr": psnr(deg, clean), "ssim": ssim(deg, clean), "niqe": niqe(deg),
                              "niqe_clean": niqe(clean)}
        rows["input"].append({"folder": e["folder"], **ref[e["name"]]})
        outs = {}
        example = i % 11 == 0 and len(examples) < 6
        for name, (net, _) in arms.items():
            if cached[name] and not example:
                continue
            y = run(net, deg)
            outs[name] = y
            if not cached[name]:
                rows[name].append({"folder": e["folder"], "psnr": psnr(q8(y), clean), "ssim": ssim(q8(y), clean),
                                   "niqe": niqe(y)})
        if example:
            examples.append((e["name"], deg, outs, clean))
    cache.write_text(json.dumps(ref))
    for name, (_, ck) in arms.items():
        if cached[name]:
            rows[name] = cached[name]
        else:
            cache_put(ck, f"valset{LIMIT}", rows[name])
    res = {}
    for name, r in rows.items():
        res[name] = {"psnr": mean([x["psnr"] for x in r]), "ssim": mean([x["ssim"] for x in r]),
                     "niqe": mean([x["niqe"] for x in r]), "per_folder": {}}
        for f in sorted({x["folder"] for x in r}):
            rf = [x for x in r if x["folder"] == f]
            res[name]["per_folder"][f.split("/")[-1]] = {k: mean([x[k] for x in rf]) for k in ("psnr", "ssim", "niqe")}
    res["clean_niqe"] = mean([v["niqe_clean"] for v in ref.values()])
    res["images"] = len(data)
    examples_sheet(examples, list(arms), out / "restorer_val_examples.png")
    return res


def sigma25(arms: dict) -> dict:
    files = list_images(["val/cbsd68"])
    clean = [load_rgb(p).float() / 255 for p in files]
    noisy = [add_gaussian(x, 25, seed=i) for i, x in enumerate(clean)]
    res = {}
    for name, (net, ck) in arms.items():
        res[name] = cache_get(ck, "sigma25")
        if res[name] is None:
            res[name] = mean([psnr(q8(run(net, y)), x) for y, x in zip(noisy, clean)])
            cache_put(ck, "sigma25", res[name])
    if PEER.exists():
        res["peer_dncnn"] = cache_get({"_path": PEER}, "sigma25")
        if res["peer_dncnn"] is None:
            outs, _ = ort_batch(PEER, noisy)
            res["peer_dncnn"] = mean([psnr(q8(o), x) for o, x in zip(outs, clean)])
            cache_put({"_path": PEER}, "sigma25", res["peer_dncnn"])
    res["input"] = mean([psnr(y, x) for y, x in zip(noisy, clean)])
    res["peer_reference"] = PEER_SIGMA25_REF
    return res


def old_photos(arms: dict, out: Path) -> dict:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    files = list_images(["old-photos"])
    cols = ["input", *arms]
    res = {c: [] for c in cols}
    fig, axes = plt.subplots(len(files), len(cols), figsize=(3.2 * len(cols), 3.4 * len(files)), squeeze=False)
    for r, p in enumerate(files):
        x = load_rgb(p).float() / 255
        ims = {"input": x, **{name: run(net, x) for name, (net, _) in arms.items()}}
        for c, name in enumerate(cols):
            res[name].append(niqe(ims[name]))
            ax = axes[r, c]
            ax.imshow(ims[name].permute(1, 2, 0).numpy())
            ax.set_axis_off()
            ax.set_title(f"{p.name} {name}  NIQE {res[name][-1]:.2f}", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "restorer_oldphotos.png", dpi=80)
    plt.close(fig)
    # a full-resolution detail crop of each photo is easier to judge than the whole downsized photo
    fig, axes = plt.subplots(len(files), len(cols), figsize=(2.6 * len(cols), 2.6 * len(files)), squeeze=False)
    for r, p in enumerate(files):
        x = load_rgb(p).float() / 255
        _, h, w = x.shape
        s = min(192, h, w)
        y0, x0 = (h - s) // 3, (w - s) // 2
        ims = {"input": x, **{name: run(net, x) for name, (net, _) in arms.items()}}
        for c, name in enumerate(cols):
            axes[r, c].imshow(ims[name][:, y0:y0 + s, x0:x0 + s].permute(1, 2, 0).numpy(), interpolation="nearest")
            axes[r, c].set_axis_off()
            if r == 0:
                axes[r, c].set_title(name, fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "restorer_oldphotos_crops.png", dpi=90)
    plt.close(fig)
    return {c: {"niqe_mean": mean(v), "niqe": [round(x, 3) for x in v]} for c, v in res.items()}


def examples_sheet(examples, arms, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cols = ["degraded", *arms, "clean"]
    fig, axes = plt.subplots(len(examples), len(cols), figsize=(2.6 * len(cols), 2.6 * len(examples)), squeeze=False)
    for r, (name, deg, outs, clean) in enumerate(examples):
        _, h, w = deg.shape
        s = min(160, h, w)
        y0, x0 = (h - s) // 2, (w - s) // 2
        for c, (label, im) in enumerate([("degraded", deg), *outs.items(), ("clean", clean)]):
            axes[r, c].imshow(im[:, y0:y0 + s, x0:x0 + s].permute(1, 2, 0).numpy(), interpolation="nearest")
            axes[r, c].set_axis_off()
            axes[r, c].set_title(f"{name} {label}" if c == 0 else label, fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def curves(arms: dict, out: Path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 3, figsize=(15, 4))
    for name, (_, ck) in arms.items():
        log = [r for r in read_log(Path(ck["_run_dir"])) if "pix" in r]
        steps = [r["step"] for r in log]
        ax[0].plot(steps, [r["pix"] for r in log], label=f"{name}: pixel (Charbonnier)")
        if any("nat" in r for r in log):
            ax[1].plot(steps, [r.get("nat", np.nan) for r in log], label=f"{name}: L_nat")
            ax[1].plot(steps, [r.get("sem", np.nan) for r in log], label=f"{name}: L_sem")
        v = [r for r in log if "val_psnr" in r]
        ax[2].plot([r["step"] for r in v], [r["val_psnr"] for r in v], marker=".", label=f"{name}: EMA")
        if v:
            ax[2].axhline(v[0]["val_psnr_input"], color="gray", ls=":", label="degraded input")
    ax[0].set_title("training pixel loss (mean of 50 steps)")
    ax[1].set_title("DiffLoss terms (unweighted)")
    ax[1].set_yscale("log")
    ax[2].set_title("PSNR on 24 degraded CBSD68 crops (dB)")
    for a in ax:
        a.set_xlabel("step")
        a.legend(fontsize=7)
        a.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "restorer_curves.png", dpi=90)
    plt.close(fig)


def speed(onnx: Path) -> dict:
    lines = ort_speed(f"{onnx}:16", str(PEER), reps=5)
    return {"model": lines[0], "peer": lines[1], "speedup": lines[0]["mp_per_s"] / lines[1]["mp_per_s"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arm", action="append", required=True, help="name=checkpoint path")
    ap.add_argument("--onnx", default="")
    ap.add_argument("--valset", default=str(valset.DEFAULT_OUT))
    ap.add_argument("--out", default=str(DOCS))
    ap.add_argument("--skip", default="", help="comma list of parts to skip: val,sigma25,old,speed,curves")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--keep-tones", action="store_true", help="score the outputs with the photo's tones kept, as the "
                    "engine keeps them by default (the network's broad tone and colour changes limited to 3 levels)")
    args = ap.parse_args()
    global LIMIT, KEEP_TONES
    LIMIT, KEEP_TONES = args.limit, args.keep_tones
    torch.set_num_threads(int(__import__("os").environ.get("REVIVE_THREADS", 2)))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    skip = set(args.skip.split(","))
    arms = {}
    for a in args.arm:
        name, path = a.split("=", 1)
        path = Path(path).expanduser()
        net, ck = load_arm(path)
        ck["_run_dir"] = str(path.parent)
        ck["_path"] = str(path)
        arms[name] = (net, ck)
    res_path = out / "restorer_metrics.json"
    res = json.loads(res_path.read_text()) if res_path.exists() else {}
    new = {name: {"checkpoint": portable(a.split("=", 1)[1]), "step": int(ck["step"]),
                          "loss": {k: v for k, v in ck["cfg"]["loss"].items() if k != "prior"},
                          **({"prior_step": ck["cfg"]["prior_info"]["step"]} if ck["cfg"].get("prior_info") else {})}
                   for a, (name, (_, ck)) in zip(args.arm, arms.items())}
    res["arms"] = {name: {**res.get("arms", {}).get(name, {}), **new[name]} for name in arms}
    t0 = time.time()
    if "val" not in skip:
        v = eval_valset(arms, Path(args.valset).expanduser(), out)
        res["valset"] = v
        for name in arms:
            res["arms"][name].update({f"val_{k}": v[name][k] for k in ("psnr", "ssim", "niqe")})
        print(f"valset done {time.time() - t0:.0f}s", json.dumps({k: v[k] for k in ['input', *arms]}), flush=True)
    if "sigma25" not in skip:
        s = sigma25(arms)
        res["cbsd68_sigma25"] = s
        for name in arms:
            res["arms"][name]["cbsd68_sigma25_psnr"] = s[name]
        print(f"sigma25 done {time.time() - t0:.0f}s", json.dumps(s), flush=True)
    if "old" not in skip:
        o = old_photos(arms, out)
        res["old_photos"] = o
        for name in arms:
            res["arms"][name]["old_photos_niqe"] = o[name]["niqe_mean"]
        print(f"old photos done {time.time() - t0:.0f}s", json.dumps({k: v["niqe_mean"] for k, v in o.items()}), flush=True)
    if "curves" not in skip:
        curves(arms, out)
    if args.onnx and "speed" not in skip:
        res["speed"] = speed(Path(args.onnx))
        print("speed", json.dumps(res["speed"]), flush=True)
    res_path.write_text(json.dumps(res, indent=1))
    print(f"wrote {res_path}")


if __name__ == "__main__":
    main()
