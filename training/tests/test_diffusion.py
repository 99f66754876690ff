"""The diffusion prior's schedule, sampler, UNet, data pipeline and ONNX export."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from revive_train.data import CropSampler, val_crops
from revive_train.diffusion import Schedule, ddim_sample, ddim_timesteps, q_sample, sdedit
from revive_train.onnx_export import MODELS, export_onnx, run_ort_node, sha256
from revive_train.paths import ROOT
from revive_train.unet import UNet, count_macs

S = Schedule()


def test_schedule_is_ddpm_linear():
    abar = S.alphas_cumprod
    assert abar.shape == (1000,)
    assert torch.all(abar[1:] < abar[:-1])
    assert abs(abar[0].item() - (1 - 1e-4)) < 1e-12
    assert 1e-5 < abar[-1].item() < 1e-4  # nearly pure noise at T
    m = S.to_manifest()
    assert m["T"] == 1000 and m["prediction"] == "epsilon" and len(m["alphas_cumprod"]) == 1000
    assert m["alphas_cumprod"][500] == pytest.approx(abar[500].item(), rel=1e-12)


def test_q_sample_matches_marginal():
    g = torch.Generator().manual_seed(0)
    x0 = torch.full((4, 3, 64, 64), 0.5)
    t = torch.tensor([10, 200, 500, 900])
    xt = q_sample(x0, t, torch.randn(x0.shape, generator=g), S)
    abar = S.alphas_cumprod[t].float()
    for i in range(4):
        assert xt[i].mean().item() == pytest.approx(0.5 * abar[i].sqrt().item(), abs=0.02)
        assert xt[i].var().item() == pytest.approx(1 - abar[i].item(), rel=0.1, abs=2e-3)


def test_ddim_timesteps_count_and_order():
    ts = ddim_timesteps(500, 20)
    assert len(ts) == 20 and ts[0] == 500 and ts == sorted(ts, reverse=True) and len(set(ts)) == 20
    assert ts[-1] == 25
    assert ddim_timesteps(5, 20) == [5, 4, 3, 2, 1]


class Oracle(torch.nn.Module):
    """Predicts the exact noise for a known clean image: DDIM with eta=0 must then return that image."""

    def __init__(self, x0):
        super().__init__()
        self.x0 = x0

    def forward(self, x, t):
        a = S.alphas_cumprod.float()[t.long()].view(-1, 1, 1, 1)
        return (x - a.sqrt() * self.x0) / (1 - a).sqrt()


def test_ddim_with_oracle_recovers_image():
    g = torch.Generator().manual_seed(1)
    x0 = torch.rand(1, 3, 16, 16, generator=g) * 2 - 1
    out = sdedit(Oracle(x0), torch.zeros_like(x0), strength=0.6, steps=10, sched=S, generator=g)
    assert (out - x0).abs().max().item() < 1e-4


def test_masked_sdedit_keeps_unmasked_pixels_exactly():
    g = torch.Generator().manual_seed(2)
    guide = torch.rand(1, 3, 16, 16, generator=g) * 2 - 1
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., 4:10, 4:10] = 1
    out = sdedit(UNet(ch=16, mults=(1, 2)).eval(), guide, 0.5, 5, S, generator=g, mask=mask)
    assert torch.equal(out[..., mask[0, 0] == 0], guide[..., mask[0, 0] == 0])
    assert not torch.equal(out, guide)


def test_unet_any_multiple_of_stride_and_features():
    m = UNet(ch=16, mults=(1, 2, 3)).eval()
    assert m.stride == 8
    for h, w in [(8, 8), (24, 40), (64, 48)]:
        eps, feats = m(torch.randn(2, 3, h, w), torch.tensor([3.0, 900.0]), return_features=True)
        assert eps.shape == (2, 3, h, w)
        assert feats.shape == (2, 48, h // 8, w // 8)
    assert count_macs(m, 64, 64) * 4 == pytest.approx(count_macs(m, 128, 128), rel=0.01)


def test_unet_is_fully_convolutional():
    """Away from the border, a crop's output equals the whole image's output: the model tiles."""
    torch.manual_seed(0)
    m = UNet(ch=16, mults=(1, 2)).eval()
    for p in m.parameters():  # zero-init output layers would make this trivially true
        p.data.normal_(0, 0.1)
    x = torch.randn(1, 3, 128, 128)
    t = torch.tensor([100.0])
    with torch.no_grad():
        full = m(x, t)
        crop = m(x[..., 32:96, 32:96], t)
    # GroupNorm uses per-image statistics, so equality is approximate, not exact
    inner = (full[..., 48:80, 48:80] - crop[..., 16:48, 16:48]).abs().mean().item()
    assert inner < 0.25 * full.abs().mean().item()


def test_crop_sampler_shapes_range_and_determinism():
    g = torch.Generator().manual_seed(0)
    imgs = [(torch.rand(3, 100, 150, generator=g) * 255).byte(), (torch.rand(3, 40, 50, generator=g) * 255).byte()]
    a = CropSampler(imgs, size=48, p_rescale=0.5, seed=7).batch(16)
    b = CropSampler(imgs, size=48, p_rescale=0.5, seed=7).batch(16)
    assert a.shape == (16, 3, 48, 48) and a.dtype == torch.float32
    assert 0 <= a.min() and a.max() <= 1
    assert torch.equal(a, b)
    # rescaled crops are smoother than native ones: the sampler really does both
    native = CropSampler(imgs[:1], size=48, p_rescale=0.0, seed=1).batch(32)
    scaled = CropSampler(imgs[:1], size=48, p_rescale=1.0, seed=1).batch(32)
    tv = lambda x: (x[..., 1:, :] - x[..., :-1, :]).abs().mean()
    assert tv(scaled) < 0.8 * tv(native)


def test_export_parity_with_onnxruntime_node(tmp_path):
    torch.manual_seed(0)
    m = UNet(ch=16, mults=(1, 2)).eval()
    for p in m.parameters():
        p.data.normal_(0, 0.05)
    path = export_onnx(m, (torch.zeros(1, 3, 32, 32), torch.zeros(1)), tmp_path / "u.onnx", ["x_t", "t"], ["eps"])
    x = torch.randn(1, 3, 24, 40)  # another size than the export's: dynamic H and W
    t = torch.tensor([321.0])
    with torch.no_grad():
        ref = m(x, t).numpy()
    out = run_ort_node(path, {"x_t": x.numpy(), "t": t.numpy()})["eps"]
    assert out.shape == ref.shape
    assert np.abs(out - ref).max() < 1e-4


def shipped_diffusion():
    m = json.loads((MODELS / "manifest.json").read_text())
    return next(x for x in m["models"] if x["id"] == m["default_diffusion"])


def test_shipped_diffusion_model_matches_manifest_and_denoises():
    e = shipped_diffusion()
    path = MODELS / e["file"]
    assert sha256(path) == e["sha256"] and path.stat().st_size < 60e6
    assert e["schedule"]["alphas_cumprod"] == pytest.approx(S.to_manifest()["alphas_cumprod"], rel=1e-9)
    # real photos it never saw (the repository's samples), noised at t=250: the shipped model's noise estimate must
    # beat predicting zero (MSE 1)
    x0 = val_crops(size=64, limit=2, folders=("samples",), root=ROOT) * 2 - 1
    t = torch.tensor([250, 250])
    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(0))
    xt = q_sample(x0, t, noise, S)
    eps = run_ort_node(path, {"x_t": xt.numpy(), "t": t.float().numpy()})["eps"]
    mse = float(((eps - noise.numpy()) ** 2).mean())
    assert mse < 0.2, mse
