"""Evidence that the diffusion prior learned something: writes docs/training/diffusion.md and its pictures.

    python3 training/eval_diffusion.py --config training/configs/diffusion_cpu.json [--ckpt PATH] [--baseline PATH]

Compares the candidate (the run's last.pt, or --ckpt) with the shipped prior (training/weights/, or --baseline) on
the same crops and noise:
- held-out epsilon MSE on CBSD68 crops at fixed t;
- SDEdit reconstruction without strokes (t0 = 0.3, 0.5; 20 DDIM steps) on CBSD68, PSNR to the originals + a sheet;
- unconditional samples at 64x64 and 256x256 (50 DDIM steps, eta 0 and 1) and the release checks: their gradient,
  chroma spread and saturation within 25 % of natural crops' (revive_train/imstats.py);
- one ONNX evaluation at 512x512 in onnxruntime-node on this CPU, and the GMAC count;
- the loss curve.
"""
import argparse
import json
import platform
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from revive_train.common import RUNS, load_ema, read_log, setup_torch
from revive_train.config import DiffusionConfig, load_config
from revive_train.data import list_images, load_rgb, val_crops
from revive_train.diffusion import Schedule, ddim_sample, q_sample, sdedit
from revive_train.imstats import image_stats, within
from revive_train.metrics import psnr
from revive_train.ort import ort_time
from revive_train.paths import DOCS, MODELS, ROOT
from revive_train.unet import UNet, count_macs
TS = (50, 100, 250, 500, 750)


@torch.no_grad()
def heldout_mse(model, x0, sched, n_noise=2):
    out = {}
    g = torch.Generator().manual_seed(123)
    for t in TS:
        errs = []
        for _ in range(n_noise):
            noise = torch.randn(x0.shape, generator=g)
            tt = torch.full((x0.shape[0],), t, dtype=torch.long)
            xt = q_sample(x0, tt, noise, sched)
            errs.append(torch.cat([(model(xt[i:i + 8], tt[i:i + 8].float()) - noise[i:i + 8]).pow(2).mean((1, 2, 3))
                                   for i in range(0, len(xt), 8)]))
        out[t] = torch.cat(errs).mean().item()
    return out


def to_img(x):  # [-1,1] CHW -> uint8 HWC
    return ((x.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()


def grid(rows, pad=4):
    h, w = rows[0][0].shape[:2]
    out = np.full((len(rows) * (h + pad) - pad, len(rows[0]) * (w + pad) - pad, 3), 255, np.uint8)
    for r, row in enumerate(rows):
        for c, im in enumerate(row):
            out[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = im
    return out


def onnx_speed(onnx_path):
    return ort_time(onnx_path, {"x_t": [1, 3, 512, 512], "t": [1]}, 5)


def sample_stats(model, sched, g, n, size, eta):
    x = ddim_sample(model, torch.randn(n, 3, size, size, generator=g), sched.T - 1, 50, sched, eta=eta, generator=g)
    return (x + 1) / 2


def natural_crops(size, n, seed=7):
    """n fixed crops of the CBSD68 validation photos, [n, 3, size, size] in [0, 1] (the release checks' reference)."""
    per = max(1, -(-n // 68))
    return val_crops(size=size, per_image=per, seed=seed)[:n]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--ckpt", help="the candidate (default: the run's last.pt)")
    ap.add_argument("--baseline", default=str(ROOT / "training/weights/diffusion_cpu_ema.pt"),
                    help="the shipped prior's weights to compare with (default: training/weights/)")
    ap.add_argument("--n-recon", type=int, default=12, help="CBSD68 images for the SDEdit reconstruction")
    ap.add_argument("--samples-only", action="store_true",
                    help="a quick look at a checkpoint during a run: only the candidate's release check "
                         "(unconditional samples against natural crops), printed; nothing written to docs/")
    args = ap.parse_args()
    cfg = load_config(args.config, DiffusionConfig)
    setup_torch(cfg)
    run = RUNS / cfg.run
    sched = Schedule(**cfg.schedule)
    DOCS.mkdir(parents=True, exist_ok=True)
    cand, ck = load_ema(Path(args.ckpt) if args.ckpt else run / "last.pt", UNet)
    base, bck = load_ema(Path(args.baseline), UNet)
    step, bstep = ck.get("step", 0), bck.get("step", 0)
    models = {"shipped": base, "candidate": cand}
    if args.samples_only:
        nat = {64: image_stats(natural_crops(64, 136)), 256: image_stats(natural_crops(256, 68))}
        out = {"step": step}
        for eta in (0.0, 1.0):
            g = torch.Generator().manual_seed(5)
            with torch.no_grad():
                s64, s256 = sample_stats(cand, sched, g, 16, 64, eta), sample_stats(cand, sched, g, 4, 256, eta)
            out[f"eta{eta:g}"] = {str(k): {**image_stats(x), **within(image_stats(x), nat[k])}
                                  for k, x in ((64, s64), (256, s256))}
        print(json.dumps(out, indent=1))
        return
    report = {"step": step, "baseline_step": bstep, "date": time.strftime("%Y-%m-%d"),
              "machine": platform.processor() or platform.machine()}

    # 1. held-out loss (the same crops and noise for both)
    x0 = val_crops(size=64, per_image=2) * 2 - 1  # 136 crops of CBSD68
    report["heldout_mse"] = {name: heldout_mse(m, x0, sched) for name, m in models.items()}

    # 2. SDEdit reconstruction (no strokes), 20 DDIM steps, eta 0; the same noise for both models
    files = list_images(["val/cbsd68"])[: args.n_recon]
    crops = []
    for f in files:
        img = load_rgb(f).float() / 127.5 - 1
        crops.append(img[:, (img.shape[1] - 256) // 2:][:, :256, (img.shape[2] - 256) // 2:][:, :, :256][None])
    recon, outs = {}, {}
    for name, m in models.items():
        recon[name] = {}
        for t0 in (0.3, 0.5):
            g = torch.Generator().manual_seed(0)
            ps = []
            for i, c in enumerate(crops):
                out = sdedit(m, c, t0, 20, sched, generator=g)
                ps.append(psnr((out + 1) / 2, (c + 1) / 2))
                if i < 4:
                    outs[(name, t0, i)] = out
            recon[name][t0] = {"psnr_mean": float(np.mean(ps)), "psnr_min": float(np.min(ps)), "n": len(ps)}
    report["sdedit_recon"] = recon
    # sheet: original | shipped t0 0.3 | candidate t0 0.3 | shipped 0.5 | candidate 0.5
    rows = [[to_img(crops[i][0])] + [to_img(outs[(n, t0, i)][0]) for t0 in (0.3, 0.5) for n in models]
            for i in range(4)]
    Image.fromarray(grid(rows)).save(DOCS / "diffusion_sdedit_recon.png", optimize=True)

    # 3. unconditional samples and the release checks: gradient, chroma spread, saturation within 25 % of natural
    nat = {64: image_stats(natural_crops(64, 136)), 256: image_stats(natural_crops(256, 68))}
    report["natural"] = nat
    report["samples"] = {}
    sheets = {}
    for name, m in models.items():
        report["samples"][name] = {}
        for eta in (0.0, 1.0):
            g = torch.Generator().manual_seed(5)
            with torch.no_grad():
                s64, s256 = sample_stats(m, sched, g, 16, 64, eta), sample_stats(m, sched, g, 4, 256, eta)
            sheets[(name, eta)] = (s64, s256)
            st = {64: image_stats(s64), 256: image_stats(s256)}
            report["samples"][name][f"eta{eta:g}"] = {
                str(k): {**v, **within(v, nat[k])} for k, v in st.items()}
    s64, s256 = sheets[("candidate", 1.0)]
    b64, b256 = sheets[("shipped", 1.0)]
    to01 = lambda x: to_img(x * 2 - 1)
    Image.fromarray(grid([[to01(s64[r * 8 + c]) for c in range(8)] for r in range(2)] +
                         [[to01(b64[r * 8 + c]) for c in range(8)] for r in range(2)])).save(DOCS / "diffusion_samples_64.png")
    Image.fromarray(grid([[to01(s) for s in s256], [to01(s) for s in b256]])).save(DOCS / "diffusion_samples_256.png")

    # 4. speed and cost
    manifest = json.loads((MODELS / "manifest.json").read_text())
    entry = next(m for m in manifest["models"] if m["id"] == manifest["default_diffusion"])  # the shipped graph
    report["onnx_512"] = onnx_speed(MODELS / entry["file"])
    report["gmac_512"] = count_macs(cand, 512, 512) / 1e9
    report["params"] = sum(p.numel() for p in cand.parameters())
    report["onnx_mb"] = entry["bytes"] / 1e6

    # 5. loss curve
    log = read_log(run)
    if log:
        steps = [r["step"] for r in log]
        loss = [r["loss"] for r in log]
        plt.figure(figsize=(7, 3.5))
        plt.plot(steps, loss, lw=0.8, alpha=0.5, label="train loss (50-step mean)")
        k = 10
        if len(loss) > k:
            sm = np.convolve(loss, np.ones(k) / k, mode="valid")
            plt.plot(steps[k - 1:], sm, lw=1.5, label=f"{k}-point moving mean")
        plt.yscale("log")
        plt.xlabel("step")
        plt.ylabel("epsilon MSE")
        plt.title(f"diffusion prior ({cfg.run})")
        plt.legend()
        plt.grid(alpha=0.3)
        plt.tight_layout()
        plt.savefig(DOCS / "diffusion_loss.png", dpi=110)
        plt.close()
    (DOCS / "diffusion_eval.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
