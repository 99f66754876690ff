"""Checkpoints, EMA (and the one loader of EMA weights), the learning rate and logging shared by the training
scripts. Configs are the typed dataclasses of .config; paths come from .paths."""
import copy
import json
import math
import os
import time
from pathlib import Path

import torch

from .config import TrainConfig, asdict, load_config
from .paths import ROOT, RUNS  # noqa: F401 (the scripts' names for them)


def setup_torch(cfg: TrainConfig) -> torch.device:
    torch.manual_seed(cfg.seed)
    dev = torch.device("cuda" if torch.cuda.is_available() and cfg.device != "cpu" else "cpu")
    if dev.type == "cpu":
        torch.set_num_threads(int(os.environ.get("REVIVE_THREADS", os.cpu_count() or 1)))
    else:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    return dev


class EMA:
    def __init__(self, model: torch.nn.Module, decay: float):
        self.decay = decay
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: torch.nn.Module, step: int):
        d = min(self.decay, (1 + step) / (10 + step))
        for e, p in zip(self.model.parameters(), model.parameters()):
            e.mul_(d).add_(p.detach(), alpha=1 - d)
        for e, b in zip(self.model.buffers(), model.buffers()):
            e.copy_(b)


def save_checkpoint(run_dir: Path, step: int, model, ema: EMA, opt, cfg: TrainConfig, keep_every: int = 0):
    """last.pt (and ema_<step>.pt every keep_every steps); the config is stored as a plain dict (asdict)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    cfg = asdict(cfg)
    state = {"step": step, "model": model.state_dict(), "ema": ema.model.state_dict(),
             "opt": opt.state_dict(), "cfg": cfg, "rng": torch.get_rng_state()}
    tmp = run_dir / "last.pt.tmp"
    torch.save(state, tmp)
    os.replace(tmp, run_dir / "last.pt")
    if keep_every and step % keep_every == 0:
        torch.save({"step": step, "ema": state["ema"], "cfg": cfg}, run_dir / f"ema_{step:07d}.pt")


def load_checkpoint(path: Path, map_location="cpu") -> dict:
    return torch.load(path, map_location=map_location)


def ema_state(path, device="cpu") -> tuple:
    """The EMA weights of a checkpoint, a kept ema_*.pt snapshot, a frozen prior or a training/weights file (all hold
    {"ema", "cfg", "step"}), as float32 (weights files store float16). Returns (state_dict, checkpoint)."""
    ck = load_checkpoint(Path(path).expanduser(), device)
    return {k: v.float() for k, v in ck["ema"].items()}, ck


def load_ema(path, build, device="cpu") -> tuple:
    """The network of a checkpoint with its EMA weights, in eval mode: build(**ck["cfg"]["model"]) (UNet or
    Restorer) makes it. Returns (model, checkpoint)."""
    sd, ck = ema_state(path, device)
    model = build(**ck["cfg"]["model"])
    model.load_state_dict(sd)
    return model.to(device).eval(), ck


class Logger:
    """Appends one JSON object per line to run_dir/log.jsonl and echoes a short line to stdout."""

    def __init__(self, run_dir: Path):
        run_dir.mkdir(parents=True, exist_ok=True)
        self.f = open(run_dir / "log.jsonl", "a")
        self.t0 = time.time()

    def log(self, **kv):
        kv["time"] = round(time.time() - self.t0, 1)
        self.f.write(json.dumps(kv) + "\n")
        self.f.flush()
        print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in kv.items()), flush=True)


def read_log(run_dir: Path) -> list:
    p = Path(run_dir) / "log.jsonl"
    return [json.loads(l) for l in p.read_text().splitlines() if l.strip()] if p.exists() else []


def lr_at(cfg: TrainConfig, step: int) -> float:
    """Warm-up, then constant; with `decay_start`, a cosine from there down to lr * `lr_min_ratio` at cfg.steps
    (warmup-stable-decay: a run can be extended and decayed later without changing the steps already taken)."""
    lr = cfg.lr * min(1.0, (step + 1) / cfg.warmup)
    start, end = cfg.decay_start, cfg.steps
    if start is not None and step >= start and end > start:
        floor = cfg.lr_min_ratio
        frac = min(1.0, (step - start) / (end - start))
        lr *= floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * frac))
    return lr


def train_step(loss: torch.Tensor, model: torch.nn.Module, opt, ema: EMA, cfg: TrainConfig, step: int) -> tuple:
    """Warm-up learning rate, backward, gradient clipping, optimizer and EMA update: one step of either training
    script. Returns (lr, grad_norm)."""
    lr = lr_at(cfg, step)
    for g in opt.param_groups:
        g["lr"] = lr
    opt.zero_grad(set_to_none=True)
    loss.backward()
    gn = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
    opt.step()
    ema.update(model, step)
    return lr, float(gn)


def run_args(cls) -> tuple:
    """The command line both training scripts take: --config (a JSON file read as the dataclass `cls`), --minutes
    (time budget), --steps (overrides cfg.steps). Returns (args, cfg)."""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--minutes", type=float, default=0, help="stop (and checkpoint) after this long; 0 = no limit")
    ap.add_argument("--steps", type=int, default=0, help="override cfg.steps")
    args = ap.parse_args()
    cfg = load_config(args.config, cls)
    if args.steps:
        cfg.steps = args.steps
    return args, cfg


def resume(run_dir: Path, model, ema: "EMA", opt, device, rng: bool = False) -> tuple:
    """Loads run_dir/last.pt into model, EMA and optimizer (and torch's RNG with rng=True) when it exists.
    Returns (step, checkpoint), (0, None) for a new run."""
    path = run_dir / "last.pt"
    if not path.exists():
        return 0, None
    ck = load_checkpoint(path, device)
    model.load_state_dict(ck["model"])
    ema.model.load_state_dict(ck["ema"])
    opt.load_state_dict(ck["opt"])
    if rng:
        torch.set_rng_state(ck["rng"])
    print(f"resumed {run_dir} at step {ck['step']}", flush=True)
    return ck["step"], ck


class Checkpointer:
    """Saves last.pt (and the kept EMA snapshots) every ckpt_every steps, at least every 10 minutes, at cfg.steps,
    and when the time budget (`minutes`, 0 = none) is spent. after_step(step) returns True when the run must stop."""

    def __init__(self, run_dir: Path, cfg: TrainConfig, model, ema: "EMA", opt, minutes: float = 0):
        self.run_dir, self.cfg, self.model, self.ema, self.opt, self.minutes = run_dir, cfg, model, ema, opt, minutes
        self.t0 = self.last_save = time.time()

    def after_step(self, step: int) -> bool:
        out_of_time = bool(self.minutes) and time.time() - self.t0 > self.minutes * 60
        if checkpoint_due(step, self.cfg, self.last_save, out_of_time):
            save_checkpoint(self.run_dir, step, self.model, self.ema, self.opt, self.cfg,
                            keep_every=self.cfg.keep_every)
            self.last_save = time.time()
        return out_of_time


def checkpoint_due(step: int, cfg: TrainConfig, last_save: float, out_of_time: bool) -> bool:
    """Every ckpt_every steps, at least every 10 minutes, and at the end (steps reached or time budget spent)."""
    return (step % cfg.ckpt_every == 0 or time.time() - last_save > 600 or out_of_time
            or step == cfg.steps)
