"""Train the tone-and-colour model on the print stage of the degradation pipeline.

    REVIVE_THREADS=1 python3 training/train_tone.py --config training/configs/tone_matrix_cpu.json [--minutes 30]

A sample: a random crop (55-100 % of each side) of a training photo, pooled to the THUMB x THUMB thumbnail (the
mapping is global, so the loss on a thumbnail is the loss on the photo, up to the few spatial effects); a share
`p_bw` becomes a black-and-white print first (its target is the neutral monochrome); a share `p_clean` stays
undamaged, with the identity as its answer, so a clean photo is left alone; the rest goes through
print_damage, then a little scan noise. Loss: the mean over the batch of log(MSE + eps) of the mapped thumbnail
to the clean one, plus a small BCE for the amount head (is this photo damaged at all?), see loss_fn.
Batches (print_damage.make_batch) are a pure function of (seed, step), so a resumed run sees what an uninterrupted one would have; resumes
from $REVIVE_RUNS/<run>/last.pt, stops at cfg.steps or after --minutes.
"""
import random
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from revive_train.common import EMA, RUNS, Checkpointer, Logger, resume, run_args, setup_torch, train_step
from revive_train.config import ToneConfig, asdict
from revive_train.data import list_images, load_rgb
from revive_train.metrics import psnr
from revive_train.print_damage import bw_print, load_small, make_batch, print_damage
from revive_train.tone import ToneNet, apply_mapping, thumbnail


def val_set(n: int = 68, seed: int = 4321) -> tuple:
    """Fixed thumbnails of CBSD68 (val, never trained on): (damaged, clean, clean-only) each [n, 3, T, T]."""
    rng = random.Random(seed)
    clean = torch.stack([thumbnail(load_rgb(p).float()[None] / 255)[0] for p in list_images(("val/cbsd68",))[:n]])
    deg = torch.stack([print_damage(c, rng, bw=(i % 6 == 5)) if i % 6 != 5 else print_damage(bw_print(c), rng, True)
                       for i, c in enumerate(clean)])
    target = torch.stack([bw_print(c) if i % 6 == 5 else c for i, c in enumerate(clean)])
    return deg, target, clean


def loss_fn(model, deg, clean, damaged, cfg: ToneConfig) -> tuple:
    """log(MSE + eps) of the full mapping (PSNR-like above eps, MSE-like below) + a small BCE that teaches the
    amount head which photos are damaged at all (a clean photo then gets amount ~ 0: left alone)."""
    affine, kx, ky, logit = model(deg, with_logit=True)
    mse = ((apply_mapping(deg, affine, kx, ky) - clean) ** 2).flatten(1).mean(1)
    rec = torch.log(mse + cfg.eps).mean()
    if cfg.damage_psnr:  # "needs correction": damage that leaves the photo above this PSNR counts as clean
        mse_in = ((deg - clean) ** 2).flatten(1).mean(1)
        damaged = damaged * (mse_in > 10 ** (-cfg.damage_psnr / 10)).float()
    bce = F.binary_cross_entropy_with_logits(logit, damaged)
    return rec + cfg.lambda_damage * bce, {"rec": rec.item(), "bce": bce.item()}


def main():
    args, cfg = run_args(ToneConfig)
    dev = setup_torch(cfg)
    run_dir = RUNS / cfg.run
    model = ToneNet(**cfg.model).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.99), weight_decay=0.0)
    ema = EMA(model, cfg.ema)
    step, _ = resume(run_dir, model, ema, opt, dev)
    photos = load_small()
    vdeg, vtarget, vclean = val_set()
    log = Logger(run_dir)
    log.log(event="start", step=step, config=asdict(cfg), params=sum(p.numel() for p in model.parameters()))
    ckpt = Checkpointer(run_dir, cfg, model, ema, opt, args.minutes)
    t0, acc = time.time(), []
    while step < cfg.steps:
        model.train()
        deg, clean, damaged = (t.to(dev) for t in make_batch(photos, cfg, step))
        loss, parts = loss_fn(model, deg, clean, damaged, cfg)
        lr, gn = train_step(loss, model, opt, ema, cfg, step)
        step += 1
        acc.append(parts)
        if step % cfg.log_every == 0:
            extra = {}
            if step % cfg.val_every == 0:
                with torch.no_grad():
                    m = ema.model.eval()
                    extra["val_psnr"] = psnr(apply_mapping(vdeg, *m(vdeg)), vtarget)
                    extra["val_psnr_input"] = psnr(vdeg, vtarget)
                    extra["val_psnr_full"] = psnr(apply_mapping(vdeg, *m(vdeg)[:3]), vtarget)
                    extra["val_clean_psnr"] = psnr(apply_mapping(vclean, *m(vclean)), vclean)
            mean = {k: sum(p[k] for p in acc) / len(acc) for k in acc[0]}
            log.log(step=step, **mean, lr=lr, grad_norm=gn,
                    sec_per_step=(time.time() - t0) / len(acc), **extra)
            acc, t0 = [], time.time()
        if ckpt.after_step(step):
            break
    print(f"stopped at step {step}", flush=True)


if __name__ == "__main__":
    main()
