"""Train the diffusion prior (epsilon-prediction UNet, DDPM T=1000) on random multi-scale crops.

    python3 training/train_diffusion.py --config training/configs/diffusion_cpu.json [--minutes 60]

Resumes from $REVIVE_RUNS/<run>/last.pt when it exists (default ~/.cache/revive/runs). Stops at cfg.steps or
after --minutes, saving a checkpoint either way.
"""
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from revive_train.common import EMA, Logger, RUNS, Checkpointer, resume, run_args, setup_torch, train_step
from revive_train.data import CropSampler
from revive_train.diffusion import Schedule, q_sample
from revive_train.unet import UNet


def build_model(cfg: dict) -> UNet:
    return UNet(**cfg["model"])


def main():
    args, cfg = run_args()
    dev = setup_torch(cfg)
    run_dir = RUNS / cfg["run"]
    sched = Schedule(**cfg.get("schedule", {}))

    model = build_model(cfg).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=0.0)
    ema = EMA(model, cfg["ema"])
    step, _ = resume(run_dir, model, ema, opt, dev, rng=True)
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
