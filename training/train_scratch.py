"""Train the scratch stage's detector and fill together on synthetic print damage (revive_train/scratch_damage.py).

    REVIVE_THREADS=1 python3 training/train_scratch.py --config training/configs/scratch_cpu.json [--minutes 60]

Each crop of a training photo becomes a print (a little blur, grain, fading; sometimes with thin structures of its
own: wires, hair, frames, which must not be marked), then gets damage drawn on top (scratches, cracks, creases, dust,
hairs, torn corners) and a scan's noise and JPEG. The detector learns the damage mask (BCE with positive weight +
soft Dice, pixels touched only lightly or invisibly left out); the fill learns to give back the undamaged print inside
the mask it is given (L1 inside the true mask, grown by 0-2 px at random: the detector's mask is never exact).
Batches are a pure function of (seed, step), so a resumed run sees what an uninterrupted one would have; resumes from
$REVIVE_RUNS/<run>/last.pt, stops at cfg.steps or after --minutes.
"""
import random
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from revive_train.common import EMA, RUNS, Checkpointer, Logger, resume, run_args, setup_torch, train_step
from revive_train.config import ScratchConfig, asdict
from revive_train.data import CropSampler, val_crops
from revive_train.degrade import step_seed
from revive_train.scratch import ScratchDetector, ScratchEnsemble, ScratchFill, damage_target, fill_mask, n_params
from revive_train.scratch_damage import sample, sample_with_lines
from revive_train.scratch_mine import hard_crop, init_from_models, load_detector, mined, spot_weights


class Pair(nn.Module):
    """The two networks as one module, so one optimiser, EMA and checkpoint carry both."""

    def __init__(self, widths=(16, 32, 48, 64), members: int = 1, guided: bool = False, gate: bool = False,
                 reach: int = 0):
        super().__init__()
        self.detect = ScratchDetector(widths) if members == 1 else ScratchEnsemble(widths, members)
        self.fill = ScratchFill(widths, guided, gate, reach)


def make_batch(sampler: CropSampler, cfg: ScratchConfig, step: int, n: int = None, spots: list = (),
               weights: list = None) -> tuple:
    """(damaged, clean, alpha[, lines when cfg.decoy_lines]), each [N, C, S, S], a pure function of (cfg.seed, step)
    (and the mined spots: with cfg.p_hard that share of the crops is drawn around places a detector wrongly marks, scratch_mine; `weights`:
    their spot_weights, computed once by the caller that draws many batches)."""
    rng = random.Random(step_seed(cfg.seed, step, 5))
    sampler.rng = random.Random(rng.randrange(1 << 30))
    crops = sampler.batch(n or cfg.batch)
    if cfg.p_hard and spots:
        hard = random.Random(rng.randrange(1 << 30))
        weights = weights or spot_weights(spots)
        for k in range(len(crops)):
            if hard.random() < cfg.p_hard:
                crops[k] = hard_crop(sampler.images, spots, cfg.crop, hard, weights).float() / 255.0
    draw = sample_with_lines if cfg.decoy_lines else sample  # the same draws; with the lines' mask as a 4th tensor
    out = [draw(c, rng, cfg.p_clean, cfg.p_lines, cfg.negatives, cfg.jpeg_min, cfg.kind_weights, cfg.p_flat)
           for c in crops]
    return tuple(torch.stack(t) for t in zip(*out))


class Batches(torch.utils.data.IterableDataset):
    """make_batch for step, step + 1, ... in a worker process, so drawing the damage overlaps the training step."""

    def __init__(self, cfg: ScratchConfig, start: int, spots: list = ()):
        self.cfg, self.start, self.spots = cfg, start, spots

    def __iter__(self):
        torch.set_num_threads(1)
        sampler = CropSampler.from_folders(size=self.cfg.crop, p_rescale=self.cfg.p_rescale, seed=self.cfg.seed)
        step = self.start
        weights = spot_weights(self.spots) if self.spots else None
        while True:
            yield make_batch(sampler, self.cfg, step, spots=self.spots, weights=weights)
            step += 1


def grow(mask: torch.Tensor, px: int) -> torch.Tensor:
    return F.max_pool2d(mask, 2 * px + 1, 1, px) if px > 0 else mask


# the detector's mark the engine fills at the default sensitivity (eval_scratch.threshold(0.5), 0.85)
DEFAULT_THR = 217 / 255


def guided_fill_loss(pair: Pair, damaged, clean, alpha, cfg: ScratchConfig, gen: random.Random, lines=None) -> tuple:
    """The guided fill (detector frozen): most crops filled as the engine fills the detector's mask, from the true
    damage grown 0-2 px together with what the detector marks (its false marks on the photo's own structures, whose
    target is the photo as it is; at a threshold drawn from cfg.guided_thr) and, in cfg.decoy_lines of them, the
    photo's own thin structures drawn in (lines); cfg.p_unguided of them as a painted mask (guide 0, the true mask
    only)."""
    mask = grow(fill_mask(alpha), gen.randint(0, 2))
    thr = gen.choice(cfg.guided_thr) if cfg.guided_thr else DEFAULT_THR
    with torch.no_grad():
        marks = grow((torch.sigmoid(pair.detect(damaged)) >= thr).float(), 1)
    n = damaged.shape[0]
    guide = torch.tensor([0.0 if gen.random() < cfg.p_unguided else 1.0 for _ in range(n)]).view(n, 1, 1, 1)
    mask = torch.maximum(mask, marks * guide)
    if lines is not None:
        pick = torch.tensor([1.0 if gen.random() < cfg.decoy_lines else 0.0 for _ in range(n)]).view(n, 1, 1, 1)
        mask = torch.maximum(mask, grow(lines * (alpha <= 0.05).float(), 1) * pick * guide)
    out = pair.fill(damaged, mask, guide)
    l1 = ((out - clean).abs() * mask).sum() / (3 * mask.sum()).clamp(min=1)
    l2 = ((out - clean) ** 2 * mask).sum() / (3 * mask.sum()).clamp(min=1)
    false = mask * (alpha <= 0.05).float() * guide
    l1_false = ((out - clean).abs() * false).sum() / (3 * false.sum()).clamp(min=1)
    parts = {"fill_l1": l1.item(), "fill_l2": l2.item(), "fill_l1_false": l1_false.item(),
             "false_share": float(false.sum() / mask.sum().clamp(min=1))}
    return cfg.lambda_fill * (l1 + cfg.fill_l2 * l2), parts


def losses(pair: Pair, damaged, clean, alpha, cfg: ScratchConfig, gen: random.Random, teacher=None,
           lines=None) -> tuple:
    if not cfg.train_detect:
        return guided_fill_loss(pair, damaged, clean, alpha, cfg, gen, lines)
    target, weight = damage_target(alpha, damaged, clean)
    logit = pair.detect(damaged)
    bce = F.binary_cross_entropy_with_logits(logit, target, weight=weight * (1 + (cfg.pos_weight - 1) * target),
                                             reduction="sum") / weight.sum().clamp(min=1)
    extra = {}
    if teacher is not None and cfg.lambda_teacher:
        with torch.no_grad():
            soft = torch.sigmoid(teacher(damaged))
        distil = F.binary_cross_entropy_with_logits(logit, soft)  # every pixel, the lightly touched ones too
        bce = bce + cfg.lambda_teacher * distil
        extra["distil"] = distil.item()
    p = torch.sigmoid(logit) * weight
    dice = 1 - (2 * (p * target).sum() + 1) / (p.sum() + target.sum() + 1)
    mask = grow(fill_mask(alpha), gen.randint(0, 2))
    out = pair.fill(damaged, mask)
    l1 = ((out - clean).abs() * mask).sum() / (3 * mask.sum()).clamp(min=1)
    loss = bce + cfg.lambda_dice * dice + cfg.lambda_fill * l1
    return loss, {"bce": bce.item(), "dice": dice.item(), "fill_l1": l1.item(), **extra}


def f1_score(prob: torch.Tensor, target: torch.Tensor, weight: torch.Tensor, thr: float = 0.5) -> float:
    pred = (prob > thr).float() * weight
    tp = (pred * target).sum()
    return float(2 * tp / (pred.sum() + (target * weight).sum()).clamp(min=1))


def val_set(cfg: ScratchConfig, n: int = 48, size: int = 128) -> tuple:
    """Fixed damaged crops of CBSD68 (val, never trained on): (damaged, clean, alpha)."""
    rng = random.Random(9876)
    crops = val_crops(size=size, per_image=1, folders=("val/cbsd68",), seed=4321, limit=n)
    out = [sample(c, rng, 0.0, cfg.p_lines, cfg.negatives) for c in crops]
    return tuple(torch.stack(t) for t in zip(*out))


def main():
    args, cfg = run_args(ScratchConfig)
    dev = setup_torch(cfg)
    run_dir = RUNS / cfg.run
    pair = Pair(**cfg.model, guided=cfg.fill_guided, gate=cfg.fill_gate, reach=cfg.guide_reach).to(dev)
    if cfg.init_models:
        init_from_models(pair, cfg.init_models)
    if not cfg.train_detect:
        pair.detect.requires_grad_(False)
    spots = []
    if cfg.p_hard:
        spots = mined(cfg.init_models, pair.detect.eval(), cfg.hard_thr)
        print(f"{len(spots)} mined spots (hard negatives)", flush=True)
    teacher = load_detector(cfg.teacher).to(dev) if cfg.teacher else None
    trained = [p for p in pair.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trained, lr=cfg.lr, betas=(0.9, 0.99), weight_decay=0.0)
    ema = EMA(pair, cfg.ema)
    step, _ = resume(run_dir, pair, ema, opt, dev)
    batches = iter(torch.utils.data.DataLoader(Batches(cfg, step, spots), batch_size=None, num_workers=1, prefetch_factor=4))
    vd, vc, va = val_set(cfg)
    vt, vw = damage_target(va, vd, vc)
    vm = fill_mask(va)
    log = Logger(run_dir)
    log.log(event="start", step=step, config=asdict(cfg), params_detect=n_params(pair.detect),
            params_fill=n_params(pair.fill), mined_spots=len(spots))
    ckpt = Checkpointer(run_dir, cfg, pair, ema, opt, args.minutes)
    t0, acc = time.time(), []
    while step < cfg.steps:
        pair.train()
        if not cfg.train_detect:
            pair.detect.eval()
        damaged, clean, alpha, *lines = (t.to(dev) for t in next(batches))
        loss, parts = losses(pair, damaged, clean, alpha, cfg, random.Random(step), teacher, *lines)
        lr, gn = train_step(loss, pair, opt, ema, cfg, step)
        step += 1
        acc.append(parts)
        if step % cfg.log_every == 0:
            extra = {}
            if step % cfg.val_every == 0:
                with torch.no_grad():
                    m = ema.model.eval()
                    prob = torch.sigmoid(m.detect(vd))
                    extra["val_f1"] = f1_score(prob, vt, vw)
                    mse = lambda a: float(((a - vc) ** 2 * vm).sum() / (3 * vm.sum()))
                    extra["val_fill_mse"] = mse(m.fill(vd, vm))
                    extra["val_input_mse"] = mse(vd)
            mean = {k: sum(p[k] for p in acc) / len(acc) for k in acc[0]}
            log.log(step=step, **mean, lr=lr, grad_norm=gn, sec_per_step=(time.time() - t0) / len(acc), **extra)
            acc, t0 = [], time.time()
        if ckpt.after_step(step):
            break
    print(f"stopped at step {step}", flush=True)


if __name__ == "__main__":
    main()
