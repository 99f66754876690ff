"""Evidence that the diffusion prior learned something: writes docs/training/diffusion.md and its pictures.

    python3 training/eval_diffusion.py --config training/configs/diffusion_cpu.json [--first PATH]

- held-out epsilon MSE on CBSD68 crops at fixed t, for the shipped (last) EMA weights, the first kept checkpoint
  and the untrained network;
- SDEdit reconstruction without strokes (t0 = 0.3, 0.5; 20 DDIM steps) on CBSD68, PSNR to the originals + a sheet;
- unconditional samples at 64x64 and 256x256;
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
from revive_train.metrics import psnr
from revive_train.ort import ort_time
from revive_train.paths import DOCS, MODELS
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--first", help="first kept checkpoint (default: the earliest ema_*.pt of the run)")
    ap.add_argument("--n-recon", type=int, default=12, help="CBSD68 images for the SDEdit reconstruction")
    args = ap.parse_args()
    cfg = load_config(args.config, DiffusionConfig)
    setup_torch(cfg)
    run = RUNS / cfg.run
    sched = Schedule(**cfg.schedule)
    DOCS.mkdir(parents=True, exist_ok=True)
    shipped, ck = load_ema(run / "last.pt", UNet)
    step = ck.get("step", 0)
    firsts = sorted(run.glob("ema_*.pt"))
    first_path = Path(args.first) if args.first else (firsts[0] if firsts else None)
    models = {"untrained (step 0)": UNet(**cfg.model).eval()}
    if first_path and first_path.exists():
        fm, fck = load_ema(first_path, UNet)
        fstep = fck.get("step", 0)
        models[f"first checkpoint (step {fstep})"] = fm
    models[f"shipped (step {step})"] = shipped
    report = {"step": step, "date": time.strftime("%Y-%m-%d"), "machine": platform.processor() or platform.machine()}

    # 1. held-out loss
    x0 = val_crops(size=64, per_image=2) * 2 - 1  # 136 crops of CBSD68
    report["heldout_mse"] = {name: heldout_mse(m, x0, sched) for name, m in models.items()}

    # 2. SDEdit reconstruction (no strokes)
    files = list_images(["val/cbsd68"])[: args.n_recon]
    recon, sheet = {}, []
    g = torch.Generator().manual_seed(0)
    for t0 in (0.3, 0.5):
        ps = []
        for i, f in enumerate(files):
            img = load_rgb(f).float() / 127.5 - 1
            c = img[:, (img.shape[1] - 256) // 2:][:, :256, (img.shape[2] - 256) // 2:][:, :, :256][None]
            out = sdedit(shipped, c, t0, 20, sched, generator=g)
            ps.append(psnr((out + 1) / 2, (c + 1) / 2))
            if i < 4:
                tt = torch.tensor([int(t0 * sched.T)])
                noised = q_sample(c, tt, torch.randn(c.shape, generator=g), sched)
                sheet.append((t0, to_img(c[0]), to_img(noised[0]), to_img(out[0])))
        recon[t0] = {"psnr_mean": float(np.mean(ps)), "psnr_min": float(np.min(ps)), "n": len(ps)}
    report["sdedit_recon"] = recon
    rows = [[a, b, c] for _, a, b, c in sheet]
    # 256 colours: the noise column otherwise makes this sheet 4 MB
    Image.fromarray(grid(rows)).quantize(256, method=Image.MEDIANCUT).save(DOCS / "diffusion_sdedit_recon.png", optimize=True)

    # 3. unconditional samples
    with torch.no_grad():
        s64 = ddim_sample(shipped, torch.randn(16, 3, 64, 64, generator=g), sched.T - 1, 50, sched, generator=g)
        s256 = ddim_sample(shipped, torch.randn(4, 3, 256, 256, generator=g), sched.T - 1, 50, sched, generator=g)
    Image.fromarray(grid([[to_img(s64[r * 8 + c]) for c in range(8)] for r in range(2)])).save(DOCS / "diffusion_samples_64.png")
    Image.fromarray(grid([[to_img(s) for s in s256]])).save(DOCS / "diffusion_samples_256.png")

    # 4. speed and cost
    manifest = json.loads((MODELS / "manifest.json").read_text())
    entry = next(m for m in manifest["models"] if m["kind"] == "diffusion" and m["id"] == cfg.run.replace("_", "-"))
    report["onnx_512"] = onnx_speed(MODELS / entry["file"])
    report["gmac_512"] = count_macs(shipped, 512, 512) / 1e9
    report["params"] = sum(p.numel() for p in shipped.parameters())
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
