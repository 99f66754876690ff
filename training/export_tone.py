"""Export a trained tone model (its EMA weights, rounded to float16) to ONNX and register it in models/manifest.json.

    python3 training/export_tone.py --run tone_matrix_cpu --id tone-v1 [--metrics docs/training/tone_metrics.json]

ONNX opset 17, input `thumb` float32 [1, 3, 64, 64] RGB in [0, 1] (the photo pooled by adaptive averaging, what
src/core/restore/stages/tone.ts feeds), outputs `affine` [1, 3, 4], `knots_x` and `knots_y` [1, 3, K] and `amount`
[1] (see revive_train/tone.py). Weights are rounded to float16 before export and stored as float16 (store_fp16):
the file is what PyTorch computes with those weights. Parity against onnxruntime-node (the runtime the app ships)
on seeded random and real thumbnails before the manifest entry is written.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from revive_train.common import RUNS, load_checkpoint
from revive_train.onnx_export import MODELS, export_onnx, run_ort_node, sha256, store_fp16, update_manifest
from revive_train.tone import THUMB, ToneNet, n_params

OUTPUTS = ["affine", "knots_x", "knots_y", "amount"]


class Shipped(nn.Module):
    def __init__(self, net: ToneNet):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)


def load_run(run: str, fp16: bool = True) -> tuple:
    """The run's EMA model, its weights rounded to float16 numbers (what ships) unless fp16=False."""
    ck = load_checkpoint(RUNS / run / "last.pt")
    net = ToneNet(**ck["cfg"]["model"])
    sd = ck["ema"]
    if fp16:
        sd = {k: v.half().float() if v.is_floating_point() else v for k, v in sd.items()}
    net.load_state_dict(sd)
    return net.eval(), ck


def export(net: ToneNet, path: Path) -> dict:
    export_onnx(Shipped(net).eval(), (torch.rand(1, 3, THUMB, THUMB),), path, ["thumb"], OUTPUTS, opset=17,
                dynamic={})
    return store_fp16(path)


def parity(net: ToneNet, path: Path, thumbs: torch.Tensor) -> float:
    """Max abs difference PyTorch vs onnxruntime-node over the thumbnails [N, 3, T, T], every output."""
    worst = 0.0
    for x in thumbs:
        with torch.no_grad():
            ref = [t.numpy() for t in Shipped(net).eval()(x[None])]
        out = run_ort_node(Path(path), {"thumb": x[None].numpy()})
        for name, r in zip(OUTPUTS, ref):
            worst = max(worst, float(np.abs(out[name].reshape(r.shape) - r).max()))
    return worst


def parity_thumbs(n_random: int = 3) -> torch.Tensor:
    from revive_train.data import list_images, load_rgb
    from revive_train.tone import thumbnail
    g = torch.Generator().manual_seed(0)
    rand = [torch.rand(3, THUMB, THUMB, generator=g) for _ in range(n_random)]
    real = [thumbnail(load_rgb(p).float()[None] / 255)[0] for p in list_images(("val/set14",))[:3]]
    return torch.stack(rand + real)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--id", required=True)
    ap.add_argument("--name", default="Revive colour & fading (global tone mapping)")
    ap.add_argument("--description", default="Brings back faded, colour-cast prints: one colour mapping per photo")
    ap.add_argument("--metrics", default="", help="JSON from eval_tone.py, recorded in the entry")
    args = ap.parse_args()

    net, ck = load_run(args.run)
    path = MODELS / f"{args.id}.onnx"
    info = export(net, path)
    diff = parity(net, path, parity_thumbs())
    print(f"parity max abs diff vs onnxruntime-node: {diff:.2e} ({info})", flush=True)
    if diff > 1e-4:
        raise SystemExit("parity check failed")
    metrics = {"train_run": args.run, "train_steps": int(ck["step"]), "parity_max_abs_diff": diff,
               "arm": ck["cfg"]["model"]["arm"]}
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
    update_manifest(entry)
    print(json.dumps({k: v for k, v in entry.items() if k != "metrics"}, indent=1))


if __name__ == "__main__":
    main()
