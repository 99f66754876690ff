"""Export a trained tone model (its EMA weights, rounded to float16) to ONNX and register it in models/manifest.json.

    python3 training/export_tone.py --run tone_matrix_cpu --id tone-v1 [--metrics docs/training/tone_metrics.json]

ONNX opset 17, input `thumb` float32 [1, 3, 64, 64] RGB in [0, 1] (the photo pooled by adaptive averaging, what
src/core/restore/stages/tone.ts feeds), outputs `affine` [1, 3, 4], `knots_x` and `knots_y` [1, 3, K] and `amount`
[1] (see revive_train/tone.py; the shipped amount is gated, see Shipped and choose_gate). Weights are rounded to float16 before export and stored as float16 (store_fp16):
the file is what PyTorch computes with those weights. Parity against onnxruntime-node (the runtime the app ships)
on seeded random and real thumbnails before the manifest entry is written.
"""
import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from revive_train.common import RUNS, load_ema
from revive_train.config import ToneConfig, from_dict
from revive_train.data import list_images, load_rgb
from revive_train.onnx_export import export_onnx, sha256, store_fp16, update_manifest
from revive_train.ort import run_ort_node
from revive_train.paths import MODELS
from revive_train.print_damage import load_small, make_batch
from revive_train.tone import THUMB, ToneNet, apply_mapping, n_params, thumbnail

OUTPUTS = ["affine", "knots_x", "knots_y", "amount"]


class Shipped(nn.Module):
    """What ships: the network with its amount passed through the gate clamp((amount - lo) / (hi - lo), 0, 1), so a
    photo the network finds probably clean (amount below lo) is left exactly alone."""

    def __init__(self, net: ToneNet, gate=(0.0, 1.0)):
        super().__init__()
        self.net, self.gate = net, gate

    def forward(self, x):
        affine, kx, ky, amount = self.net(x)
        lo, hi = self.gate
        return affine, kx, ky, ((amount - lo) / (hi - lo)).clamp(0, 1)


def choose_gate(net: ToneNet, cfg: ToneConfig, batches: int = 16, clean_floor: float = 50.0) -> dict:
    """The gate, chosen on training photos (fresh draws of the run's training batches, seed 777, never the val
    folders): among (lo, hi) on a grid, the one with the best mean PSNR on the damaged thumbnails whose mean PSNR on
    the clean ones (capped at 60 dB) stays >= clean_floor."""
    photos = load_small()
    cfg = dataclasses.replace(cfg, seed=777, batch=32, p_bw=0.15, p_clean=0.2)
    d, c, lab = (torch.cat(t) for t in zip(*[make_batch(photos, cfg, 10 ** 6 + s) for s in range(batches)]))
    with torch.no_grad():
        affine, kx, ky, amount = net(d)
        full = apply_mapping(d, affine, kx, ky)
    ps = lambda x: (10 * torch.log10(1 / ((x - c) ** 2).flatten(1).mean(1).clamp(min=1e-6)))
    clean = lab == 0
    best = None
    for lo in [0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]:
        for w in [0.2, 0.3, 0.4]:
            hi = min(1.0, lo + w) if lo > 0 else 1.0
            g = ((amount - lo) / (hi - lo)).clamp(0, 1).view(-1, 1, 1, 1)
            p = ps(d + g * (full - d))
            row = {"lo": lo, "hi": round(hi, 2), "damaged_db": round(float(p[~clean].mean()), 3),
                   "clean_db": round(float(p[clean].mean()), 3), "clean_worst_db": round(float(p[clean].min()), 3)}
            if row["clean_db"] >= clean_floor and (best is None or row["damaged_db"] > best["damaged_db"]):
                best = row
    best = best or {"lo": 0.7, "hi": 1.0}
    best["input_damaged_db"] = round(float(ps(d)[~clean].mean()), 3)
    best["ungated_damaged_db"] = round(float(ps(full)[~clean].mean()), 3)
    best["ungated_clean_db"] = round(float(ps(full)[clean].mean()), 3)
    best["thumbnails"] = int(len(d))
    return best


def load_run(run: str, fp16: bool = True) -> tuple:
    """The run's EMA model, its weights rounded to float16 numbers (what ships) unless fp16=False, its checkpoint
    and its config. Returns (net, checkpoint, ToneConfig)."""
    path = RUNS / run / "last.pt"
    net, ck = load_ema(path, ToneNet)
    cfg = from_dict(ck["cfg"], ToneConfig, f"{path} cfg")
    if fp16:
        net.load_state_dict({k: v.half().float() if v.is_floating_point() else v for k, v in net.state_dict().items()})
    return net, ck, cfg


def export(net: ToneNet, path: Path, gate=(0.0, 1.0)) -> dict:
    export_onnx(Shipped(net, gate).eval(), (torch.rand(1, 3, THUMB, THUMB),), path, ["thumb"], OUTPUTS, opset=17,
                dynamic={})
    return store_fp16(path)


def parity(net: ToneNet, path: Path, thumbs: torch.Tensor, gate=(0.0, 1.0)) -> float:
    """Max abs difference PyTorch vs onnxruntime-node over the thumbnails [N, 3, T, T], every output."""
    worst = 0.0
    for x in thumbs:
        with torch.no_grad():
            ref = [t.numpy() for t in Shipped(net, gate).eval()(x[None])]
        out = run_ort_node(Path(path), {"thumb": x[None].numpy()})
        for name, r in zip(OUTPUTS, ref):
            worst = max(worst, float(np.abs(out[name].reshape(r.shape) - r).max()))
    return worst


def parity_thumbs(n_random: int = 3) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    rand = [torch.rand(3, THUMB, THUMB, generator=g) for _ in range(n_random)]
    real = [thumbnail(load_rgb(p).float()[None] / 255)[0] for p in list_images(("val/set14",))[:3]]
    return torch.stack(rand + real)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--id", required=True)
    ap.add_argument("--name", default="Colour & fading")
    ap.add_argument("--description", default="Brings back faded, colour-cast prints: one colour mapping per photo")
    ap.add_argument("--metrics", default="", help="JSON from eval_tone.py, recorded in the entry")
    ap.add_argument("--models-dir", default=str(MODELS), help="where the ONNX and the manifest entry go (a candidate"
                    " folder to evaluate before shipping: see eval_tone.py --models-dir)")
    ap.add_argument("--clean-floor", type=float, default=50.0, help="the gate keeps the clean training thumbnails' mean"
                    " PSNR at or above this (choose_gate)")
    args = ap.parse_args()

    net, ck, cfg = load_run(args.run)
    gate = choose_gate(net, cfg, clean_floor=args.clean_floor)
    print(f"gate {gate}", flush=True)
    g = (gate["lo"], gate["hi"])
    path = Path(args.models_dir) / f"{args.id}.onnx"
    info = export(net, path, g)
    diff = parity(net, path, parity_thumbs(), g)
    print(f"parity max abs diff vs onnxruntime-node: {diff:.2e} ({info})", flush=True)
    if diff > 1e-4:
        raise SystemExit("parity check failed")
    metrics = {"train_run": args.run, "train_steps": int(ck["step"]), "parity_max_abs_diff": diff,
               "arm": cfg.model["arm"], "gate": gate}
    if args.metrics:
        metrics.update(json.loads(Path(args.metrics).read_text()).get("summary", {}))
    entry = {
        "id": args.id,
        "name": args.name,
        "description": args.description,
        "kind": "tone",
        "file": path.name,
        "sha256": sha256(path),
        "bytes": path.stat().st_size,
        "inputs": ["thumb"],
        "outputs": OUTPUTS,
        "value_range": [0, 1],
        "size_multiple": 1,
        "tile": THUMB,
        "thumb": THUMB,
        "knots": net.knots,
        "params": n_params(net),
        "gmac_per_mp": 0,
        "metrics": metrics,
    }
    update_manifest(entry, manifest_path=Path(args.models_dir) / "manifest.json")
    print(json.dumps({k: v for k, v in entry.items() if k != "metrics"}, indent=1))


if __name__ == "__main__":
    main()
