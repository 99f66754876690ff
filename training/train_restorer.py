"""Train the restoration network on synthetic old-photo degradations, with the pixel loss alone or with DiffLoss.

    python3 training/train_restorer.py --config training/configs/restorer_pixel_cpu.json [--minutes 60] [--steps N]
    python3 training/train_restorer.py --config training/configs/restorer_diffloss_cpu.json

The two arms share the architecture, the seed and the data: the crops and degradations of step s are a function of
(seed, s) only, so both arms see exactly the same batches, and a resumed run sees what an uninterrupted one would
have. DiffLoss's own randomness (t and noise) comes from a separate generator, also a function of (seed, s).
Resumes from $REVIVE_RUNS/<run>/last.pt when it exists (default ~/.cache/revive/runs); stops at cfg.steps or after
--minutes, saving a checkpoint either way. Every `val_every` steps the EMA model is scored (PSNR) on fixed, seeded
degraded crops of CBSD68, logged as val_psnr next to the input's PSNR.
"""
import random
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from revive_train.common import EMA, Logger, RUNS, Checkpointer, resume, run_args, setup_torch, train_step
from revive_train.config import RestorerConfig, asdict
from revive_train.data import CropSampler, val_crops
from revive_train.degrade import degrade_batch, make_batch, step_seed
from revive_train.diffloss import DiffLoss, load_prior, pixel_loss
from revive_train.diffusion import Schedule
from revive_train.metrics import psnr
from revive_train.onnx_export import onnx_state
from revive_train.paths import ROOT
from revive_train.restorer import Restorer


def build_model(cfg: RestorerConfig) -> Restorer:
    return Restorer(**cfg.model)


def val_set(cfg: RestorerConfig, n: int = 24):
    crops = val_crops(size=cfg.val_crop, folders=("val/cbsd68",), limit=n)
    deg = degrade_batch(crops, random.Random(4321), p_clean=0.0, mix=cfg.mix)
    return deg, crops


def init_weights(model: Restorer, ema: EMA, rel: str):
    """A new run starts from a shipped restore model's weights (the ONNX export names them net.<name>)."""
    path = ROOT / rel
    if not path.is_file():
        raise SystemExit(f"init_model {rel} is not in the repository (any more): take it back from git history")
    sd = {k.removeprefix("net."): v for k, v in onnx_state(path, "").items()}
    model.load_state_dict(sd)
    ema.model.load_state_dict(sd)
    print(f"started from {rel}", flush=True)


def main():
    args, cfg = run_args(RestorerConfig)
    dev = setup_torch(cfg)
    run_dir = RUNS / cfg.run

    model = build_model(cfg).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.99), weight_decay=0.0)
    ema = EMA(model, cfg.ema)
    lc = cfg.loss
    unet, prior = None, None
    if lc.lambda_nat or lc.lambda_sem:
        if not lc.prior:
            raise SystemExit(f"{args.config}: loss.prior is needed when loss.lambda_nat or loss.lambda_sem is set")
        unet, prior = load_prior(Path(lc.prior).expanduser(), dev)
        cfg.prior_info = prior
        print(f"prior {prior}", flush=True)
    crit = DiffLoss(unet, Schedule(), lc.t_min, lc.t_max, lc.lambda_nat, lc.lambda_sem, lc.pixel) if unet is not None else None
    step, ck = resume(run_dir, model, ema, opt, dev)
    if ck is None and cfg.init_model:
        init_weights(model, ema, cfg.init_model)
    if ck and prior and (ck["cfg"].get("prior_info") or {}).get("sha256") not in (None, prior["sha256"]):
        raise SystemExit(f"prior changed since this run started: {ck['cfg']['prior_info']} vs {prior}")
    sampler = CropSampler.from_folders(size=cfg.crop, p_rescale=cfg.p_rescale, seed=cfg.seed)
    vdeg, vclean = val_set(cfg)
    log = Logger(run_dir)
    log.log(event="start", step=step, config=asdict(cfg))
    t_start, parts_acc = time.time(), []
    ckpt = Checkpointer(run_dir, cfg, model, ema, opt, args.minutes)
    while step < cfg.steps:
        model.train()
        deg, clean = make_batch(sampler, cfg, step)
        deg, clean = deg.to(dev), clean.to(dev)
        out = model(deg)
        if crit is not None:
            g = torch.Generator().manual_seed(step_seed(cfg.seed, step, 2))
            loss, parts = crit(out, clean, generator=g)
        else:
            loss = pixel_loss(lc.pixel, out, clean)
            parts = {"pix": loss.item()}
        lr, gn = train_step(loss, model, opt, ema, cfg, step)
        step += 1
        parts["loss"] = loss.item()
        parts_acc.append(parts)
        if step % cfg.log_every == 0:
            mean = {k: sum(p[k] for p in parts_acc) / len(parts_acc) for k in parts_acc[0]}
            extra = {}
            if step % cfg.val_every == 0:
                with torch.no_grad():
                    extra["val_psnr"] = psnr(ema.model(vdeg.to(dev)).clamp(0, 1), vclean.to(dev))
                    extra["val_psnr_input"] = psnr(vdeg, vclean)
            log.log(step=step, **mean, lr=lr, grad_norm=gn,
                    sec_per_step=(time.time() - t_start) / len(parts_acc), **extra)
            parts_acc, t_start = [], time.time()
        if ckpt.after_step(step):
            break
    print(f"stopped at step {step}", flush=True)


if __name__ == "__main__":
    main()
