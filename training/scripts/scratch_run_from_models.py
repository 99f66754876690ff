"""A run folder whose last.pt holds shipped scratch models' weights (as model and EMA), so eval_scratch.py and
export_scratch.py can measure a shipped pair beside a new run even on a machine that lost the original checkpoints.

    /usr/bin/python3 training/scripts/scratch_run_from_models.py --run scratch_v3_models \
        --detect models/scratch-detect-v3.onnx --fill models/scratch-fill-v3.onnx
"""
import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from revive_train.common import EMA, RUNS, save_checkpoint
from revive_train.config import ScratchConfig
from revive_train.scratch_mine import init_from_models
from train_scratch import Pair


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--detect", required=True)
    ap.add_argument("--fill", required=True)
    ap.add_argument("--widths", default="16,32,48,64")
    ap.add_argument("--step", type=int, default=0, help="the step the models were trained to (recorded)")
    args = ap.parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    models = {"detect": args.detect, "fill": args.fill}
    pair = Pair(widths)
    init_from_models(pair, models)
    cfg = ScratchConfig(run=args.run, model={"widths": widths}, batch=1, lr=0.0, ema=0.0, steps=args.step, crop=160,
                        init_models=models)
    save_checkpoint(RUNS / args.run, args.step, pair, EMA(pair, 0.0), torch.optim.AdamW(pair.parameters()), cfg)
    print(f"wrote {RUNS / args.run / 'last.pt'}")


if __name__ == "__main__":
    main()
