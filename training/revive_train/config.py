"""Typed configs of the training scripts: one dataclass per script, every default here, read from the JSON files in
training/configs. A key the dataclass does not know is an error (a misspelt key would otherwise be ignored).

    cfg = load_config("training/configs/diffusion_cpu.json", DiffusionConfig)
    cfg.lr, cfg.loss.lambda_nat, asdict(cfg)   # checkpoints store asdict(cfg)

TrainConfig is what every training script reads; CropConfig adds the training crops of the diffusion and restorer
scripts (the tone script trains on whole-photo thumbnails: ToneConfig has no crop).
"""
import dataclasses
import json
import typing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional


@dataclass
class TrainConfig:
    """What every training script reads (the run's name, the optimiser and its schedule, checkpoints, logging)."""
    run: str
    model: dict  # the network's constructor arguments (UNet, Restorer or ToneNet)
    batch: int
    lr: float
    ema: float
    steps: int
    seed: int = 0
    device: str = "auto"  # auto | cpu
    warmup: int = 500
    clip: float = 1.0
    decay_start: Optional[int] = None  # warmup-stable-decay: cosine from here to lr * lr_min_ratio at steps
    lr_min_ratio: float = 0.01
    log_every: int = 50
    ckpt_every: int = 500
    keep_every: int = 0  # keep an EMA snapshot every N steps (0 = none)


@dataclass
class CropConfig(TrainConfig):
    """The scripts that train on crops (data.CropSampler): their size, and the share taken from a downscaled photo."""
    crop: int = field(kw_only=True)  # required (keyword-only: it follows the defaults above)
    p_rescale: float = 0.5


@dataclass
class DiffusionConfig(CropConfig):
    """train_diffusion.py / export_diffusion.py / eval_diffusion.py."""
    schedule: dict = field(default_factory=dict)  # Schedule(**schedule): T, beta_start, beta_end
    init: Optional[str] = None  # a training/weights/*.pt EMA file a new run starts from (repository-relative)
    min_snr_gamma: float = 0.0  # 0 = plain epsilon MSE
    t_focus: Optional[list] = None  # [lo, hi, share]: a share of t drawn from [lo, hi)
    color_jitter: float = 0.0
    devices: Optional[list] = None  # the manifest's devices for the exported model (absent = all)
    default: bool = True  # export makes it the manifest's default diffusion model


@dataclass
class LossConfig:
    pixel: str = "charbonnier"  # charbonnier | l1 | l2
    lambda_nat: float = 0.0
    lambda_sem: float = 0.0
    t_min: int = 0
    t_max: int = 999
    prior: Optional[str] = None  # a frozen prior file (training/freeze_prior.py); needed when a lambda is set


@dataclass
class RestorerConfig(CropConfig):
    """train_restorer.py."""
    loss: LossConfig = field(default_factory=LossConfig)
    p_clean: float = 0.1
    p_gauss: float = 0.0
    p_gauss_from: int = 0
    val_every: int = 500
    val_crop: int = 128
    prior_info: Optional[dict] = None  # set by train_restorer.py: the prior's file, step and sha256
    mix: str = "v2"  # degrade.degrade's mix: "v2" (the first runs), "v3" (no fading/casts, camera noise, JPEG q10), "v3c" (v3, more camera noise)
    init_model: Optional[str] = None  # a shipped restore model (repository-relative .onnx) a new run starts from


@dataclass
class ToneConfig(TrainConfig):
    """train_tone.py / export_tone.py (which reads a run's checkpoint cfg with it)."""
    p_bw: float = 0.15  # share of samples made black-and-white prints first (target: the neutral monochrome)
    p_clean: float = 0.2  # share left undamaged (target: the identity)
    eps: float = 1e-3  # the loss is log(MSE + eps)
    lambda_damage: float = 0.05  # weight of the amount head's BCE
    damage_psnr: Optional[float] = None  # damage leaving the photo above this PSNR counts as clean for the BCE
    crop_min: float = 0.55  # the smallest crop, as a share of each side (close crops: one colour fills the frame)
    val_every: int = 250
    continues: Optional[str] = None  # a note: the run whose last.pt this run started from (copied in by hand)


@dataclass
class ScratchConfig(CropConfig):
    """train_scratch.py / export_scratch.py / eval_scratch.py: the detector and the fill, trained together on the
    same damaged crops (revive_train/scratch_damage.py)."""
    p_clean: float = 0.15  # share of crops left undamaged (nothing to mark)
    p_lines: float = 0.3  # share with thin structures drawn into the photo itself (never to be marked)
    pos_weight: float = 3.0  # BCE weight of damaged pixels
    lambda_dice: float = 0.5  # soft Dice on the damage mask (its F1)
    lambda_fill: float = 1.0  # L1 of the fill inside the mask
    negatives: str = "v2"  # which of the photo's own structures are drawn in (scratch_damage.NEGATIVES)
    init_models: Optional[dict] = None  # {"detect": onnx, "fill": onnx} (repository-relative): a new run starts there
    p_hard: float = 0.0  # share of crops drawn around where init_models' detector marks undamaged photos (scratch_mine)
    hard_thr: float = 0.5  # the probability that counts as a mark when mining them
    jpeg_min: int = 60  # the lowest JPEG quality of the scan after the damage (scratch_damage.scan)
    teacher: Optional[str] = None  # a shipped detector file (e.g. an ensemble) this run learns from as well
    lambda_teacher: float = 0.0  # weight of the BCE to the teacher's probability (distillation)
    kind_weights: Optional[dict] = None  # each kind of damage's chance (scratch_damage.WEIGHTS when None)
    p_flat: float = 0.0  # share of damage in one flat colour, without paper fibres (scratch_damage.damage)
    fill_guided: bool = False  # the fill also sees the pixels under the mask (ScratchFill guided)
    fill_gate: bool = False  # guided fill: a fourth output, how much of the pixel under the mask to keep
    guide_reach: int = 0  # guided fill: it may look under the mask only this close (px) to the unmasked photo (0: all)
    p_unguided: float = 0.3  # guided fill: share of crops trained as the plain fill (guide 0: a painted mask)
    guided_thr: Optional[list] = None  # guided fill: the detector thresholds its marks are drawn at (one per batch;
    # lower ones mark more of the photo's own structures, which the fill must give back); None: DEFAULT_THR only
    fill_l2: float = 0.0  # guided fill: weight of a squared error added to its L1 (PSNR counts a kept scratch far
    # more than a wrongly refilled clean pixel)
    decoy_lines: float = 0.0  # guided fill: share of crops whose own thin structures (photo_lines) are masked too
    train_detect: bool = True  # False: the detector stays as init_models has it; only the fill learns
    val_every: int = 250


class ConfigError(ValueError):
    pass


def _build(cls, raw: dict, where: str):
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected an object, got {type(raw).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                          f"(known: {', '.join(fields)})")
    hints = typing.get_type_hints(cls)
    kw = {}
    for name, value in raw.items():
        t = hints[name]
        kw[name] = _build(t, value, f"{where}.{name}") if dataclasses.is_dataclass(t) else value
    missing = [n for n, f in fields.items() if n not in kw and f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"{where}: missing key{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    return cls(**kw)


def from_dict(raw: dict, cls, where: str = "config"):
    """The dataclass `cls` from a dict (a JSON config, or a checkpoint's cfg); unknown or missing keys are errors."""
    return _build(cls, raw, where)


def load_config(path, cls):
    path = Path(path)
    with open(path) as f:
        return from_dict(json.load(f), cls, str(path))


__all__ = ["TrainConfig", "CropConfig", "DiffusionConfig", "RestorerConfig", "LossConfig", "ToneConfig", "ScratchConfig",
           "ConfigError",
           "load_config", "from_dict", "asdict"]
