"""Export the scratch stage's detector and fill (a train_scratch.py run's EMA weights, rounded to float16) to ONNX and
register both in models/manifest.json.

    python3 training/export_scratch.py --run scratch_cpu --version v1 [--metrics docs/training/scratch_metrics.json]

- `scratch-detect-<version>.onnx` (kind "scratch"): input `image` float32 [1, 3, H, W] RGB in [0, 1], output `logit`
  [1, 1, H, W] (sigmoid = the damage probability); H, W multiples of 16.
- `scratch-fill-<version>.onnx` (kind "fill"): inputs `image` [1, 3, H, W] and `mask` [1, 1, H, W] (1 = fill), output
  `filled` [1, 3, H, W]: unmasked pixels are the input exactly; H, W multiples of 32 (the push-pull pyramid). A guided
  fill (config fill_guided) has a third input `guide` [1, 1, 1, 1]: 1 lets it look under the mask (the detector's),
  0 is the plain fill (a painted mask).
Weights are stored as float16 (store_fp16): the files compute what PyTorch computes with the rounded weights; parity
against onnxruntime-node (the runtime the app ships) on seeded random and real inputs before the entries are written.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from revive_train.common import RUNS, load_checkpoint
from revive_train.data import list_images, load_rgb
from revive_train.onnx_export import export_onnx, sha256, store_fp16, update_manifest
from revive_train.ort import run_ort_node
from revive_train.paths import MODELS, portable
from revive_train.scratch import SIZE_MULTIPLE, gmac_per_mp, n_params

# Tiling (src/core/scratch/scratch.ts): windows overlap by this many pixels and each writes its own half of every
# overlap, so a pixel is computed with at least half of it as context on every side (measured in eval_scratch.py:
# tiled vs whole photo).
DETECT_TILE, DETECT_OVERLAP = 512, 64
FILL_TILE, FILL_OVERLAP = 256, 64


def load_pair(run: str, fp16: bool = True):
    """The run's EMA Pair (detector + fill), weights rounded to float16 numbers (what ships) unless fp16=False."""
    from train_scratch import Pair
    ck = load_checkpoint(RUNS / run / "last.pt")
    c = ck["cfg"]
    pair = Pair(**c["model"], guided=c.get("fill_guided", False), gate=c.get("fill_gate", False),
                reach=c.get("guide_reach", 0))
    pair.load_state_dict({k: v.float() for k, v in ck["ema"].items()})
    if fp16:
        pair.load_state_dict({k: v.half().float() if v.is_floating_point() else v for k, v in pair.state_dict().items()})
    return pair.eval(), ck


def parity_inputs(n_random: int = 2):
    g = torch.Generator().manual_seed(0)
    xs = [torch.rand(1, 3, 64, 96, generator=g) for _ in range(n_random)]
    img = load_rgb(list_images(("val/set14",))[0]).float()[None] / 255
    xs.append(img[:, :, :128, :160].contiguous())
    ms = [(torch.rand(1, 1, x.shape[2], x.shape[3], generator=g) > 0.8).float() for x in xs]
    return xs, ms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--version", default="v1")
    ap.add_argument("--metrics", default="", help="JSON from eval_scratch.py, recorded in both entries")
    ap.add_argument("--models-dir", default=str(MODELS))
    ap.add_argument("--tta", default="rot180", choices=["rot180", "none"],
                    help="the detector's entry says the engine runs each window turned half round too (as eval_scratch.py measured)")
    args = ap.parse_args()

    pair, ck = load_pair(args.run)
    out_dir = Path(args.models_dir)
    det_path = out_dir / f"scratch-detect-{args.version}.onnx"
    fill_path = out_dir / f"scratch-fill-{args.version}.onnx"
    export_onnx(pair.detect, (torch.rand(1, 3, 64, 64),), det_path, ["image"], ["logit"], opset=17)
    det_info = store_fp16(det_path)
    guided = getattr(pair.fill, "guided", False)
    fill_inputs = ["image", "mask", "guide"] if guided else ["image", "mask"]
    example = (torch.rand(1, 3, 64, 64), torch.zeros(1, 1, 64, 64)) + ((torch.ones(1, 1, 1, 1),) if guided else ())
    dyn = {k: {0: "n", 2: "h", 3: "w"} for k in ("image", "mask", "filled")}
    export_onnx(pair.fill, example, fill_path, fill_inputs, ["filled"], opset=17,
                dynamic={**dyn, "guide": {0: "n"}} if guided else dyn)
    fill_info = store_fp16(fill_path)

    xs, ms = parity_inputs()
    d_det = d_fill = 0.0
    for x, m in zip(xs, ms):
        with torch.no_grad():
            ref_l = pair.detect(x).numpy()
        d_det = max(d_det, float(np.abs(run_ort_node(det_path, {"image": x.numpy()})["logit"] - ref_l).max()))
        for g in ((0.0, 1.0) if guided else (None,)):
            feeds = {"image": x.numpy(), "mask": m.numpy()}
            with torch.no_grad():
                if g is None:
                    ref_f = pair.fill(x, m).numpy()
                else:
                    gt = torch.full((1, 1, 1, 1), g)
                    ref_f = pair.fill(x, m, gt).numpy()
                    feeds["guide"] = gt.numpy()
            out = run_ort_node(fill_path, feeds)["filled"]
            d_fill = max(d_fill, float(np.abs(out - ref_f).max()))
    print(f"parity vs onnxruntime-node: detector {d_det:.2e} ({det_info}), fill {d_fill:.2e} ({fill_info})", flush=True)
    if d_det > 1e-3 or d_fill > 1e-4:
        raise SystemExit("parity check failed")

    summary = json.loads(Path(args.metrics).read_text()).get("summary", {}) if args.metrics else {}
    common = {"train_run": args.run, "train_steps": int(ck["step"]), "checkpoint": portable(RUNS / args.run / "last.pt")}
    det = {
        "id": f"scratch-detect-{args.version}",
        "name": "Revive scratch & dust finder",
        "description": "Finds scratches, cracks, creases, dust, hairs and torn corners",
        "kind": "scratch",
        "file": det_path.name,
        "sha256": sha256(det_path),
        "bytes": det_path.stat().st_size,
        "inputs": ["image"],
        "outputs": ["logit"],
        "value_range": [0, 1],
        "size_multiple": 16,
        "tile": DETECT_TILE,
        "receptive_overlap": DETECT_OVERLAP,
        **({} if args.tta == "none" else {"tta": args.tta}),
        "params": n_params(pair.detect),
        "gmac_per_mp": round(gmac_per_mp(pair.detect), 2),
        "metrics": {**common, "parity_max_abs_diff": d_det, **summary.get("detect", {})},
    }
    fill = {
        "id": f"scratch-fill-{args.version}",
        "name": "Revive fill (re-creates masked pixels from their surroundings)",
        "description": "Fills scratches and marked areas from what surrounds them",
        "kind": "fill",
        "file": fill_path.name,
        "sha256": sha256(fill_path),
        "bytes": fill_path.stat().st_size,
        "inputs": fill_inputs,
        "outputs": ["filled"],
        "value_range": [0, 1],
        "size_multiple": SIZE_MULTIPLE,
        "tile": FILL_TILE,
        "receptive_overlap": FILL_OVERLAP,
        "params": n_params(pair.fill),
        "gmac_per_mp": round(gmac_per_mp(pair.fill), 2),
        "metrics": {**common, "parity_max_abs_diff": d_fill, **summary.get("fill", {})},
    }
    for e in (det, fill):
        update_manifest(e, manifest_path=out_dir / "manifest.json")
        print(json.dumps({k: v for k, v in e.items() if k != "metrics"}))


if __name__ == "__main__":
    main()
