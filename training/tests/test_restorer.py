import dataclasses
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import config
from revive_train.config import RestorerConfig, load_config
from revive_train.restorer import Restorer, count_macs, gmac_per_mp, pad_to_multiple

CFG = Path(__file__).resolve().parents[1] / "configs"


def tiny():
    return Restorer(width=8, enc_blocks=(1, 1, 1), mid_blocks=1, dec_blocks=(1, 1, 1))


@pytest.mark.parametrize("hw", [(16, 16), (32, 48), (80, 64), (144, 16)])
def test_any_multiple_of_16(hw):
    m = tiny().eval()
    assert m.size_multiple == 16
    x = torch.rand(2, 3, *hw)
    with torch.no_grad():
        y = m(x)
    assert y.shape == x.shape


def test_identity_at_init_and_residual():
    m = tiny().eval()
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(m(x), x)  # zero-initialised last conv: delta = 0


def test_fully_convolutional_locality():
    """A change in one corner does not reach the far corner (no global pooling): tiling is safe."""
    torch.manual_seed(0)
    m = tiny().eval()
    for p in m.parameters():
        p.data.normal_(0, 0.2)
    x = torch.rand(1, 3, 256, 256)
    x2 = x.clone()
    x2[..., :16, :16] += 0.5
    with torch.no_grad():
        d = (m(x) - m(x2)).abs()
    assert d[..., -32:, -32:].max() < 1e-6


@pytest.mark.parametrize("name", ["restorer_pixel_cpu.json", "restorer_diffloss_cpu.json",
                                  "restorer_pixel_gpu.json", "restorer_diffloss_gpu.json"])
def test_gmac_bound(name):
    cfg = load_config(CFG / name, RestorerConfig)
    m = Restorer(**cfg.model)
    g = gmac_per_mp(m, 128)
    assert g <= 70, g
    assert count_macs(m, 64, 64) == pytest.approx(g * 1e3 * 64 * 64, rel=1e-6)


def test_pad_to_multiple():
    x = torch.rand(1, 3, 30, 41)
    p, (h, w) = pad_to_multiple(x, 16)
    assert p.shape[-2:] == (32, 48) and (h, w) == (30, 41)
    assert torch.equal(p[..., :30, :41], x)


def test_learning_rate_warmup_stable_decay():
    from revive_train.common import lr_at
    cfg = config(lr=1e-3, warmup=100, steps=10000)
    assert lr_at(cfg, 0) == pytest.approx(1e-5)
    assert lr_at(cfg, 5000) == lr_at(cfg, 9999) == 1e-3  # no decay_start: constant
    cfg.decay_start, cfg.lr_min_ratio = 6000, 0.01
    assert lr_at(cfg, 5999) == 1e-3  # the steps before the decay are unchanged
    lrs = [lr_at(cfg, s) for s in range(6000, 10001, 250)]
    assert all(a > b for a, b in zip(lrs, lrs[1:]))
    assert lrs[0] == pytest.approx(1e-3) and lrs[-1] == pytest.approx(1e-5)
    assert lr_at(cfg, 8000) == pytest.approx(1e-3 * (0.01 + 0.99 * 0.5))


def test_checkpointer_saves_on_schedule_at_the_end_and_on_the_time_budget(tmp_path):
    from revive_train.common import EMA, Checkpointer, load_checkpoint
    model = torch.nn.Linear(2, 2)
    ema, opt = EMA(model, 0.9), torch.optim.SGD(model.parameters(), lr=0.1)
    cfg = config(steps=5, ckpt_every=2, keep_every=4)
    ck = Checkpointer(tmp_path, cfg, model, ema, opt)
    stops = [ck.after_step(s) for s in range(1, 6)]
    assert stops == [False] * 5
    assert load_checkpoint(tmp_path / "last.pt")["step"] == 5  # the end is always saved
    assert sorted(p.name for p in tmp_path.glob("ema_*.pt")) == ["ema_0000004.pt"]
    ck = Checkpointer(tmp_path / "b", dataclasses.replace(cfg, steps=100), model, ema, opt, minutes=1e-9)
    assert ck.after_step(3) is True  # out of time: stop, and save first
    assert load_checkpoint(tmp_path / "b" / "last.pt")["step"] == 3
