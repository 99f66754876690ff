import dataclasses
import random
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from revive_train.print_damage import LUMA, bw_print, old_print, print_damage, tone
from revive_train.tone import THUMB, ToneNet, apply_mapping, identity_mapping, interp, oracle_affine
from revive_train.paths import ROOT


def photo(seed=0, h=THUMB, w=THUMB):
    """A smooth, colourful test image in [0, 1]."""
    g = torch.Generator().manual_seed(seed)
    base = torch.rand(3, 8, 8, generator=g)
    return torch.nn.functional.interpolate(base[None], size=(h, w), mode="bilinear", align_corners=False)[0]


def test_print_damage_is_seeded_in_range_and_changes_the_photo():
    x = photo()
    a, b = print_damage(x, random.Random(5)), print_damage(x, random.Random(5))
    assert torch.equal(a, b)
    assert a.shape == x.shape and a.min() >= 0 and a.max() <= 1
    changed = [float((print_damage(x, random.Random(s)) - x).abs().mean()) for s in range(20)]
    assert min(changed) > 0.002 and np.mean(changed) > 0.03


def test_bw_prints_get_one_hue_at_most():
    """A black-and-white print's damage never invents colour: its chroma is a tint times the luma, the same tint all
    over except for the uneven yellowing of the paper (a smooth stain, a few per cent at most)."""
    x = bw_print(photo(1))
    for s in range(30):
        y = print_damage(x, random.Random(s), bw=True)
        lum = (y * LUMA).sum(0)
        ratio = y / lum.clamp(min=1e-3)
        ok = (lum > 0.05) & (y.amax(0) < 0.999)  # away from black and from clipping
        assert ratio[:, ok].std(1).max() < 0.03, s


def test_tone_full_amount_is_monochrome_toned():
    y = tone(photo(2), random.Random(0), amount=1.0)
    lum = (photo(2) * LUMA).sum(0)
    r = y / lum.clamp(min=1e-3)
    ok = y.amax(0) < 0.999
    assert r[:, ok].std(1).max() < 1e-3


def test_old_print_is_seeded_and_adds_detail_damage():
    x = photo(3, 96, 96)
    a, b = old_print(x, random.Random(9)), old_print(x, random.Random(9))
    assert torch.equal(a, b) and a.shape == x.shape


def test_new_model_is_the_identity_and_tiny():
    net = ToneNet("matrix")
    assert sum(p.numel() for p in net.parameters()) < 60_000
    x = torch.stack([photo(s) for s in range(3)])
    affine, kx, ky, amount = net(x)
    assert affine.shape == (3, 3, 4) and kx.shape == (3, 3, 17) and amount.shape == (3,)
    assert (apply_mapping(x, affine, kx, ky) - x).abs().max() < 1e-6


def test_curves_are_non_decreasing_and_amount_in_0_1_for_any_weights():
    torch.manual_seed(0)
    net = ToneNet("curves")
    for p in net.parameters():
        p.data.normal_(0, 0.5)
    x = torch.stack([photo(s) for s in range(4)])
    affine, kx, ky, amount = net(x)
    assert (ky[:, :, 1:] - ky[:, :, :-1]).min() >= 0
    assert (kx[:, :, 1:] - kx[:, :, :-1]).min() >= 0
    assert torch.equal(affine, torch.eye(3, 4).expand(4, 3, 4))  # the curves arm has no matrix
    assert ((amount >= 0) & (amount <= 1)).all()
    out = apply_mapping(x, affine, kx, ky, amount)
    assert out.min() >= 0 and out.max() <= 1


def test_interp_is_numpy_interp_inside_and_slope_one_outside():
    kx = torch.tensor([[[0.2, 0.3, 0.3, 0.7]]])
    ky = torch.tensor([[[0.1, 0.4, 0.5, 0.9]]])
    v = torch.tensor([[[0.0, 0.25, 0.5, 0.7, 0.95]]])
    got = interp(v, kx, ky)[0, 0].tolist()
    assert got == pytest.approx([-0.1, 0.25, 0.7, 0.9, 1.15], abs=1e-6)
    a, x0, y0 = identity_mapping(1)
    img = photo(4)[None]
    assert torch.allclose(apply_mapping(img, a, x0, y0), img, atol=1e-6)


def test_oracle_affine_undoes_an_affine_cast_exactly():
    x = photo(5)
    m = torch.tensor([[0.8, 0.1, 0.0], [0.05, 0.7, 0.05], [0.0, 0.1, 0.6]])
    y = torch.einsum("ij,jhw->ihw", m, x) + torch.tensor([0.1, 0.05, 0.0]).view(3, 1, 1)
    assert (oracle_affine(y, x) - x).abs().max() < 1e-4


@pytest.mark.skipif(shutil.which("node") is None or not (ROOT / "node_modules" / "onnxruntime-node").exists(),
                    reason="node / onnxruntime-node missing")
def test_export_parity_fp16_and_outputs(tmp_path):
    from export_tone import OUTPUTS, export, parity
    torch.manual_seed(0)
    net = ToneNet("matrix")
    for p in net.parameters():
        p.data.normal_(0, 0.2)
    sd = {k: v.half().float() for k, v in net.state_dict().items()}
    net.load_state_dict(sd)
    path = tmp_path / "tone.onnx"
    info = export(net.eval(), path)
    assert info["fp16_elements"] > 0.9 * sum(p.numel() for p in net.parameters())
    m = onnx.load(str(path))
    assert [o.name for o in m.graph.output] == OUTPUTS and [i.name for i in m.graph.input] == ["thumb"]
    thumbs = torch.stack([photo(s) for s in range(3)])
    # random weights of std 0.2 give outputs far from the trained model's range: float32 agreement is relative
    from export_tone import Shipped
    with torch.no_grad():
        scale = max(float(t.abs().max()) for t in Shipped(net.eval())(thumbs))
    assert parity(net, path, thumbs) < 1e-4 * max(1.0, scale)


def test_batches_are_a_pure_function_of_seed_and_step_and_follow_the_config():
    from revive_train.config import ToneConfig
    from revive_train.print_damage import make_batch
    photos = [(photo(s, 96, 128) * 255).round().byte() for s in range(4)]
    cfg = ToneConfig(run="t", model={}, batch=12, lr=1e-3, ema=0.99, steps=10, seed=3)
    a, b = make_batch(photos, cfg, 5), make_batch(photos, cfg, 5)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    deg, clean, damaged = a
    assert deg.shape == clean.shape == (12, 3, THUMB, THUMB) and damaged.shape == (12,)
    assert not torch.equal(make_batch(photos, cfg, 6)[0], deg)
    # clean samples are their own answer, damaged ones are not
    assert all(torch.equal(d, c) == (lab == 0) for d, c, lab in zip(deg, clean, damaged))
    none_clean = make_batch(photos, dataclasses.replace(cfg, p_clean=0.0), 5)[2]
    all_clean = make_batch(photos, dataclasses.replace(cfg, p_clean=1.0), 5)[2]
    assert none_clean.min() == 1 and all_clean.max() == 0
