"""Train the diffusion prior (epsilon-prediction UNet, DDPM T=1000) on random multi-scale crops.

    python3 training/train_diffusion.py --config training/configs/diffusion_cpu.json [--minutes 60]

Resumes from $REVIVE_RUNS/<run>/last.pt when it exists (default ~/.cache/revive/runs). Stops at cfg.steps or
after --minutes, saving a checkpoint either way.
"""
import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from revive_train.common import EMA, Logger, RUNS, Checkpointer, load_checkpoint, load_config, setup_torch, train_step
from revive_train.data import CropSampler
from revive_train.diffusion import Schedule, q_sample
from revive_train.unet import UNet


def build_model(cfg: dict) -> UNet:
    return UNet(**cfg["model"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--minutes", type=float, default=0, help="stop (and checkpoint) after this long; 0 = no limit")
    ap.add_argument("--steps", type=int, default=0, help="override cfg.steps")
    args = ap.parse_args()
    cfg = load_config(args.config)
    if args.steps:
        cfg["steps"] = args.steps
    dev = setup_torch(cfg)
    run_dir = RUNS / cfg["run"]
    sched = Schedule(**cfg.get("schedule", {}))

    model = build_model(cfg).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=0.0)
    ema = EMA(model, cfg["ema"])
    step = 0
    if (run_dir / "last.pt").exists():
        ck = load_checkpoint(run_dir / "last.pt", dev)
        model.load_state_dict(ck["model"])
        ema.model.load_state_dict(ck["ema"])
        opt.load_state_dict(ck["opt"])
        torch.set_rng_state(ck["rng"])
        step = ck["step"]
        print(f"resumed {run_dir} at step {step}", flush=True)
    sampler = CropSampler.from_folders(size=cfg["crop"], p_rescale=cfg.get("p_rescale", 0.5), seed=cfg["seed"] + step)
    log = Logger(run_dir)
    abar = sched.alphas_cumprod.to(dev)
    t_start, run_loss = time.time(), []
    ckpt = Checkpointer(run_dir, cfg, model, ema, opt, args.minutes)
    while step < cfg["steps"]:
        x0 = sampler.batch(cfg["batch"]).to(dev) * 2 - 1
        t = torch.randint(0, sched.T, (x0.shape[0],), device=dev)
        noise = torch.randn_like(x0)
        xt = q_sample(x0, t, noise, sched)
        loss = (model(xt, t.float()) - noise).pow(2).mean()
        lr, gn = train_step(loss, model, opt, ema, cfg, step)
        step += 1
        run_loss.append(loss.item())
        if step % cfg.get("log_every", 50) == 0:
            log.log(step=step, loss=sum(run_loss) / len(run_loss), lr=lr, grad_norm=gn,
                    sec_per_step=(time.time() - t_start) / len(run_loss))
            run_loss, t_start = [], time.time()
        if ckpt.after_step(step):
            break
    print(f"stopped at step {step}", flush=True)


if __name__ == "__main__":
    main()
