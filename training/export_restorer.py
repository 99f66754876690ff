"""Export a trained restorer (its EMA weights) to ONNX and register it in models/manifest.json.

    python3 training/export_restorer.py --run restorer_pixel_cpu --id restore-naf32-v2 \
        [--metrics docs/training/restorer_metrics.json --arm pixel] [--default]

ONNX opset 17, input `input` float32 [1, 3, H, W] RGB in [0, 1], output `output` the same shape, clipped to [0, 1];
H and W dynamic (multiples of size_multiple: the app pads). Checks parity against onnxruntime-node (the runtime the
app ships) before writing the manifest entry; read-modify-writes the manifest so other entries (the diffusion prior)
stay as they are.
"""
import argparse
import json
import sys
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
from revive_train.common import RUNS, load_ema
from revive_train.onnx_export import MODELS, export_restorer, restorer_parity, sha256, update_manifest
from revive_train.restorer import Restorer, gmac_per_mp

TILE = 768
# Measured with test/integration/restore-shipped.test.ts's check (tiles of 256 vs the whole image, CBSD68): the
# step-4000 model needed 96 px (32 left 11 levels); at step 10000 the pixel arm needs 128 (96 leaves 2 levels) and
# the DiffLoss arm 160 (128 leaves 3 levels, 160 leaves 2). Pass --overlap per model.
OVERLAP = 128


def load_run(run: str) -> tuple:
    """The run's restorer with its EMA weights (last.pt) and the checkpoint."""
    return load_ema(RUNS / run / "last.pt", Restorer)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--id", required=True)
    ap.add_argument("--name", default="Revive restorer (NAFNet-style, compact)")
    ap.add_argument("--description", default="", help="one line for the app's model list")
    ap.add_argument("--metrics", default="", help="JSON from eval_restorer.py; the entry for --arm is recorded")
    ap.add_argument("--arm", default="")
    ap.add_argument("--default", action="store_true", help="make it default_restore")
    ap.add_argument("--overlap", type=int, default=OVERLAP, help="receptive_overlap in px (measure it: see OVERLAP)")
    ap.add_argument("--tile", type=int, default=TILE)
    args = ap.parse_args()

    net, ck = load_run(args.run)
    path = MODELS / f"{args.id}.onnx"
    export_restorer(net, path)
    diffs = [restorer_parity(net, path, h, w, s) for s, (h, w) in enumerate([(48, 80), (64, 64), (112, 160)])]
    print(f"parity max abs diff vs onnxruntime-node: {max(diffs):.2e}", flush=True)
    if max(diffs) > 1e-4:
        raise SystemExit("parity check failed")
    metrics = {"train_run": args.run, "train_steps": int(ck["step"]), "parity_max_abs_diff": max(diffs)}
    if ck["cfg"].get("prior_info"):
        metrics["diffloss_prior"] = {k: ck["cfg"]["prior_info"][k] for k in ("step", "sha256")}
        metrics["diffloss"] = {k: v for k, v in ck["cfg"]["loss"].items() if k != "prior"}
    if args.metrics:
        m = json.loads(Path(args.metrics).read_text())
        metrics.update(m["arms"][args.arm])
        for k in ("speed", "peer"):
            if k in m:
                metrics[k] = m[k]
    entry = {
        "id": args.id,
        "name": args.name,
        **({"description": args.description} if args.description else {}),
        "kind": "restore",
        "file": path.name,
        "sha256": sha256(path),
        "bytes": path.stat().st_size,
        "inputs": ["input"],
        "outputs": ["output"],
        "value_range": [0, 1],
        "size_multiple": net.size_multiple,
        "tile": args.tile,
        "receptive_overlap": args.overlap,
        "params": sum(p.numel() for p in net.parameters()),
        "gmac_per_mp": round(gmac_per_mp(net), 2),
        "metrics": metrics,
    }
    update_manifest(entry, "default_restore" if args.default else None)
    print(json.dumps({k: v for k, v in entry.items() if k != "metrics"}, indent=1))


if __name__ == "__main__":
    main()
