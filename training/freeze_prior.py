"""Freeze the diffusion prior's EMA weights for DiffLoss: a run must keep using the same prior when it resumes.

    python3 training/freeze_prior.py [--src ~/.cache/revive/runs/diffusion_cpu/last.pt] [--dst-dir ~/.cache/revive/prior_frozen]

Writes <dst-dir>/<run>_ema_s<step>.pt = {step, ema, cfg, source} and prints its path and sha256; point the
restorer_diffloss_*.json config's loss.prior at it. train_restorer.py records the prior's step and sha256 in the
run's checkpoint and refuses to resume with a different prior.
"""
import argparse
import hashlib
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from revive_train.paths import portable


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", default="~/.cache/revive/runs/diffusion_cpu/last.pt")
    ap.add_argument("--dst-dir", default="~/.cache/revive/prior_frozen")
    args = ap.parse_args()
    src = Path(args.src).expanduser()
    ck = torch.load(src, map_location="cpu")
    dst = Path(args.dst_dir).expanduser() / f"{ck['cfg']['run']}_ema_s{ck['step']:07d}.pt"
    dst.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"step": ck["step"], "ema": ck["ema"], "cfg": ck["cfg"], "source": portable(src)}, dst)
    print(dst, hashlib.sha256(dst.read_bytes()).hexdigest())


if __name__ == "__main__":
    main()
