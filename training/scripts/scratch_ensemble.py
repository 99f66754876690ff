"""A run folder whose last.pt is an ensemble detector (the mean logit of several runs' EMA detectors, one graph:
revive_train.scratch.ScratchEnsemble) with one run's fill, for eval_scratch.py and export_scratch.py.

    /usr/bin/python3 training/scripts/scratch_ensemble.py --run scratch_v4_ens \\
        --detectors scratch_v3_models,scratch_hn_cpu --fill scratch_hn_cpu --steps 42000
"""
import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from revive_train.common import EMA, RUNS, load_checkpoint, save_checkpoint
from revive_train.config import ScratchConfig
from train_scratch import Pair


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--detectors", required=True, help="runs whose EMA detectors are averaged, comma-separated")
    ap.add_argument("--fill", required=True, help="the run whose EMA fill is used")
    ap.add_argument("--steps", type=int, required=True,
                    help="training steps behind the newest weights (recorded as the run's step, the manifest's "
                         "train_steps): a run started from shipped files counts from 0, so say it here")
    args = ap.parse_args()
    names = args.detectors.split(",")
    cks = [load_checkpoint(RUNS / n / "last.pt") for n in names]
    widths = cks[0]["cfg"]["model"]["widths"]
    if any(ck["cfg"]["model"]["widths"] != widths for ck in cks):
        raise SystemExit("the detectors' widths differ")
    pair = Pair(widths, members=len(names))
    sd = {}
    for i, ck in enumerate(cks):
        sd.update({k.replace("detect.", f"detect.members.{i}.", 1): v for k, v in ck["ema"].items()
                   if k.startswith("detect.")})
    fill = load_checkpoint(RUNS / args.fill / "last.pt")
    sd.update({k: v for k, v in fill["ema"].items() if k.startswith("fill.")})
    pair.load_state_dict(sd)
    steps = args.steps
    cfg = ScratchConfig(run=args.run, model={"widths": widths, "members": len(names)}, batch=1, lr=0.0, ema=0.0,
                        steps=steps, crop=160, init_models={"detectors": names, "fill": args.fill})
    save_checkpoint(RUNS / args.run, steps, pair, EMA(pair, 0.0), torch.optim.AdamW(pair.parameters()), cfg)
    print(f"wrote {RUNS / args.run / 'last.pt'}: {len(names)} detectors ({', '.join(names)}), fill of {args.fill}")


if __name__ == "__main__":
    main()
