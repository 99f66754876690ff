"""Export the diffusion prior's EMA weights to ONNX and list it in models/manifest.json.

    python3 training/export_diffusion.py --config training/configs/diffusion_cpu.json [--ckpt PATH] [--save-weights]
        [--fp32-storage]

By default the weights are rounded to float16 and stored so (store_fp16: float16 initializers + Cast, computed in
float32): half the file, and the function shipped is exactly the PyTorch model with float16-rounded weights, which is
what training/weights/ keeps and what the parity check compares against. --fp32-storage keeps float32 weights.

The ONNX takes x_t [N,3,H,W] float32 in [-1,1] and t [N] float32 and returns eps; H, W multiples of the stride.
Parity with PyTorch is checked through onnxruntime-node before the manifest is touched.
"""
import argparse
import shutil
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from revive_train.common import RUNS, load_ema
from revive_train.config import DiffusionConfig, asdict, load_config
from revive_train.diffusion import Schedule
from revive_train.onnx_export import MODELS, export_onnx, sha256, store_fp16, update_manifest
from revive_train.ort import run_ort_node
from revive_train.paths import WEIGHTS
from revive_train.unet import UNet, count_macs


def parity(model: UNet, onnx_path: Path, h: int = 64, w: int = 96) -> float:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, h, w, generator=g)
    t = torch.tensor([50.0, 700.0])
    with torch.no_grad():
        ref = model(x, t).numpy()
    out = run_ort_node(onnx_path, {"x_t": x.numpy(), "t": t.numpy()})["eps"]
    return float(abs(out - ref).max())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--ckpt", help="default: the run's last.pt")
    ap.add_argument("--id", help="model id (default: diffusion-<device>)")
    ap.add_argument("--save-weights", action="store_true",
                    help="also write the EMA weights (fp16) to training/weights/ so a fresh machine can train "
                         "the restorer against this exact prior")
    ap.add_argument("--fp32-storage", action="store_true", help="keep float32 weights (twice the file)")
    ap.add_argument("--out-dir", help="write the ONNX and a copy of the manifest there instead of models/ (a candidate "
                                      "to benchmark against the shipped prior before shipping it)")
    args = ap.parse_args()
    out_dir = Path(args.out_dir) if args.out_dir else MODELS
    if out_dir != MODELS:
        out_dir.mkdir(parents=True, exist_ok=True)
        if not (out_dir / "manifest.json").exists():
            shutil.copy(MODELS / "manifest.json", out_dir / "manifest.json")
    cfg = load_config(args.config, DiffusionConfig)
    ckpt = Path(args.ckpt) if args.ckpt else RUNS / cfg.run / "last.pt"
    model, ck = load_ema(ckpt, UNet)
    step = ck.get("step", 0)
    if not args.fp32_storage:
        model.load_state_dict({k: v.half().float() for k, v in model.state_dict().items()})
    mid = args.id or cfg.run.replace("_", "-")
    onnx_path = out_dir / f"{mid}.onnx"
    sched = Schedule(**cfg.schedule)
    export_onnx(model, (torch.zeros(1, 3, 64, 64), torch.zeros(1)), onnx_path, ["x_t", "t"], ["eps"])
    storage = {"weights": "fp32"} if args.fp32_storage else {"weights": "fp16", **store_fp16(onnx_path)}
    err = parity(model, onnx_path)
    if err > 1e-4:
        raise SystemExit(f"parity failed: max abs diff {err:.3g} between PyTorch and onnxruntime-node")
    params = sum(p.numel() for p in model.parameters())
    gmac = count_macs(model, 512, 512) / 1e9 / (512 * 512 / 1e6)
    entry = {
        "id": mid,
        "kind": "diffusion",
        "name": f"Natural-photo diffusion prior ({cfg.run}, step {step})",
        "file": onnx_path.name,
        "sha256": sha256(onnx_path),
        "bytes": onnx_path.stat().st_size,
        "inputs": ["x_t", "t"],
        "outputs": ["eps"],
        "value_range": [-1, 1],
        "size_multiple": model.stride,
        "tile": 512,
        "params": params,
        "gmac_per_mp": round(gmac, 2),
        "schedule": sched.to_manifest(),
        "metrics": {"train_step": step, "parity_max_abs_diff": err, "config": Path(args.config).name,
                    "storage": storage},
    }
    if cfg.devices:
        entry["devices"] = cfg.devices
    update_manifest(entry, "default_diffusion" if cfg.default else None, out_dir / "manifest.json")
    if args.save_weights:
        WEIGHTS.mkdir(parents=True, exist_ok=True)
        torch.save({"step": step, "cfg": asdict(cfg), "ema": {k: v.half() for k, v in model.state_dict().items()}},
                   WEIGHTS / f"{cfg.run}_ema.pt")
    print(f"exported {onnx_path} (step {step}, {params / 1e6:.2f} M params, {gmac:.1f} GMAC/MP, "
          f"{entry['bytes'] / 1e6:.1f} MB, parity {err:.2e})")


if __name__ == "__main__":
    main()
