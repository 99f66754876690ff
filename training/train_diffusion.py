"""Train the diffusion prior (epsilon-prediction UNet, DDPM T=1000) on random multi-scale crops.

The loss is the epsilon MSE weighted by min-SNR-gamma (Hang et al. 2023: w = min(SNR, gamma) / SNR for epsilon
prediction; `min_snr_gamma`, 0 = plain MSE), with t drawn uniformly except for a share `t_focus` = [lo, hi, share]
drawn from the range refine and DiffLoss use. `init` (a training/weights/*.pt EMA file) starts a new run from
earlier weights instead of from scratch.

    python3 training/train_diffusion.py --config training/configs/diffusion_cpu.json [--minutes 60]

Resumes from $REVIVE_RUNS/<run>/last.pt when it exists (default ~/.cache/revive/runs). Stops at cfg.steps or
after --minutes, saving a checkpoint either way.
"""
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from revive_train.common import EMA, Logger, ROOT, RUNS, Checkpointer, ema_state, resume, run_args, setup_torch, train_step
from revive_train.config import DiffusionConfig
from revive_train.data import CropSampler
from revive_train.diffusion import Schedule, q_sample
from revive_train.unet import UNet


def build_model(cfg: DiffusionConfig) -> UNet:
    return UNet(**cfg.model)


def sample_t(n: int, T: int, cfg: DiffusionConfig, gen: torch.Generator = None) -> torch.Tensor:
    """Uniform integer t in [0, T), except a share drawn uniformly from cfg.t_focus = [lo, hi, share]."""
    t = torch.randint(0, T, (n,), generator=gen)
    focus = cfg.t_focus
    if focus:
        lo, hi, share = focus
        m = torch.rand(n, generator=gen) < share
        t[m] = torch.randint(int(lo), int(hi), (int(m.sum()),), generator=gen)
    return t


def loss_weight(t: torch.Tensor, abar: torch.Tensor, gamma: float) -> torch.Tensor:
    """min-SNR-gamma weight for epsilon prediction, min(SNR, gamma) / SNR; ones when gamma is 0."""
    if not gamma:
        return torch.ones(t.shape, device=abar.device)
    snr = abar[t] / (1 - abar[t])
    return (snr.clamp(max=gamma) / snr).float()


def main():
    args, cfg = run_args(DiffusionConfig)
    dev = setup_torch(cfg)
    run_dir = RUNS / cfg.run
    sched = Schedule(**cfg.schedule)

    model = build_model(cfg).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.0)
    ema = EMA(model, cfg.ema)
    step, _ = resume(run_dir, model, ema, opt, dev, rng=True)
    if step == 0 and cfg.init:
        sd, _ = ema_state(ROOT / cfg.init, dev)
        model.load_state_dict(sd)
        ema.model.load_state_dict(sd)
        print(f"initialised from {cfg.init}", flush=True)
    sampler = CropSampler.from_folders(size=cfg.crop, p_rescale=cfg.p_rescale, seed=cfg.seed + step,
                                       color_jitter=cfg.color_jitter)
    log = Logger(run_dir)
    abar = sched.alphas_cumprod.to(dev)
    t_start, run_loss = time.time(), []
    ckpt = Checkpointer(run_dir, cfg, model, ema, opt, args.minutes)
    while step < cfg.steps:
        x0 = sampler.batch(cfg.batch).to(dev) * 2 - 1
        t = sample_t(x0.shape[0], sched.T, cfg).to(dev)
        noise = torch.randn_like(x0)
        xt = q_sample(x0, t, noise, sched)
        w = loss_weight(t, abar, cfg.min_snr_gamma)
        loss = ((model(xt, t.float()) - noise).pow(2).mean((1, 2, 3)) * w).mean()
        lr, gn = train_step(loss, model, opt, ema, cfg, step)
        step += 1
        run_loss.append(loss.item())
        if step % cfg.log_every == 0:
            log.log(step=step, loss=sum(run_loss) / len(run_loss), lr=lr, grad_norm=gn,
                    sec_per_step=(time.time() - t_start) / len(run_loss))
            run_loss, t_start = [], time.time()
        if ckpt.after_step(step):
            break
    print(f"stopped at step {step}", flush=True)


if __name__ == "__main__":
    main()
