"""The typed configs: every shipped config reads into its dataclass with the meaning it had (defaults equal to what
the scripts used to assume), a misspelt or unknown key is an error, and checkpoints keep storing plain dicts."""
import dataclasses
import json
from pathlib import Path

import pytest

from conftest import REQUIRED, config
from revive_train.config import (ConfigError, DiffusionConfig, LossConfig, RestorerConfig, ScratchConfig, ToneConfig, asdict,
                                 from_dict, load_config)

CFG = Path(__file__).resolve().parents[1] / "configs"
SCRIPT = {"diffusion": DiffusionConfig, "restorer": RestorerConfig, "tone": ToneConfig, "scratch": ScratchConfig}


@pytest.mark.parametrize("path", sorted(CFG.glob("*.json")), ids=lambda p: p.name)
def test_every_config_reads_and_keeps_its_values(path):
    raw = json.loads(path.read_text())
    cfg = load_config(path, SCRIPT[path.name.split("_")[0]])
    d = asdict(cfg)
    for k, v in raw.items():  # every key of the file arrives unchanged
        assert d[k] == (v if k != "loss" else {**asdict(LossConfig()), **v}), k


def test_every_config_has_its_class():
    assert sorted({p.name.split("_")[0] for p in CFG.glob("*.json")}) == sorted(SCRIPT)


def test_tone_defaults_are_what_the_script_assumed_and_it_has_no_crop():
    t = from_dict({k: v for k, v in REQUIRED.items() if k != "crop"}, ToneConfig)
    assert (t.p_bw, t.p_clean, t.eps, t.lambda_damage, t.damage_psnr, t.val_every) == (0.15, 0.2, 1e-3, 0.05, None, 250)
    assert (t.log_every, t.ckpt_every, t.warmup, t.continues) == (50, 500, 500, None)
    with pytest.raises(ConfigError, match=r"unknown key crop"):
        from_dict(REQUIRED, ToneConfig)
    with pytest.raises(ConfigError, match=r"missing key crop"):  # the crop scripts still need it
        from_dict({k: v for k, v in REQUIRED.items() if k != "crop"}, RestorerConfig)


def test_the_live_diffusion_keys_are_valid():
    cfg = load_config(CFG / "diffusion_cpu.json", DiffusionConfig)
    assert cfg.init == "training/weights/diffusion_cpu_run_ema.pt"
    assert (CFG.parents[1] / cfg.init).is_file()  # the run's kept EMA, committed: a fresh machine continues from it
    assert (cfg.min_snr_gamma, cfg.t_focus, cfg.color_jitter) == (5.0, [150, 700, 0.3], 0.05)


def test_defaults_are_what_the_scripts_assumed():
    r = config()
    assert (r.seed, r.device, r.p_rescale, r.warmup, r.clip, r.decay_start, r.lr_min_ratio) == (0, "auto", 0.5, 500, 1.0, None, 0.01)
    assert (r.log_every, r.ckpt_every, r.keep_every) == (50, 500, 0)
    assert (r.p_clean, r.p_gauss, r.p_gauss_from, r.val_every, r.val_crop) == (0.1, 0.0, 0, 500, 128)
    assert asdict(r.loss) == {"pixel": "charbonnier", "lambda_nat": 0.0, "lambda_sem": 0.0, "t_min": 0, "t_max": 999,
                              "prior": None}
    d = config(DiffusionConfig)
    assert (d.schedule, d.init, d.min_snr_gamma, d.t_focus, d.color_jitter, d.default) == ({}, None, 0.0, None, 0.0, True)


def test_an_unknown_or_missing_key_is_an_error():
    with pytest.raises(ConfigError, match=r"unknown key lambda_natt"):
        config(loss={"lambda_natt": 0.3})
    with pytest.raises(ConfigError, match=r"config: unknown key min_snr"):
        config(DiffusionConfig, min_snr=5)
    with pytest.raises(ConfigError, match=r"unknown key t_focus"):
        config(RestorerConfig, t_focus=[1, 2, 0.5])  # a diffusion key in a restorer config
    with pytest.raises(ConfigError, match=r"missing key lr"):
        from_dict({k: v for k, v in REQUIRED.items() if k != "lr"}, RestorerConfig)


def test_a_checkpoint_cfg_reads_back():
    cfg = load_config(CFG / "restorer_diffloss_cpu.json", RestorerConfig)
    cfg.prior_info = {"file": "~/.cache/revive/prior_frozen/p.pt", "step": 3, "sha256": "ab"}
    back = from_dict(json.loads(json.dumps(asdict(cfg))), RestorerConfig)
    assert back == cfg and dataclasses.is_dataclass(back.loss)


@pytest.mark.parametrize("path", sorted(CFG.glob("*.json")), ids=lambda p: p.name)
def test_every_config_is_in_the_one_format(path):
    """One key per line, nested objects and lists on the key's line (what the CPU configs always looked like)."""
    d = json.loads(path.read_text())
    lines = [f"  {json.dumps(k)}: {json.dumps(v, separators=(', ', ': '))}" for k, v in d.items()]
    assert path.read_text() == "{\n" + ",\n".join(lines) + "\n}\n"
