"""The scratch stage's training parts: synthetic damage (seeded, in range, its mask where it drew), the photo's own
thin structures (never in the mask), the networks' shapes and contracts (the fill keeps unmasked pixels exactly; push-
pull keeps known pixels and continues a constant), what counts as damage, the seeded batches, and the ONNX export's
parity through onnxruntime-node."""
import json
import random
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import config  # noqa: E402
from revive_train.config import ScratchConfig  # noqa: E402
from revive_train.ort import run_ort_node  # noqa: E402
from revive_train.onnx_export import export_onnx  # noqa: E402
from revive_train.scratch import (ScratchDetector, ScratchFill, damage_target, fill_mask, gmac_per_mp,  # noqa: E402
                                  push_pull)
from revive_train.scratch_damage import (KINDS, NEGATIVES, _blob, _pole, damage, photo_lines,  # noqa: E402
                                         polyline_distance, sample)


def photo(seed=0, h=96, w=128):
    g = torch.Generator().manual_seed(seed)
    base = torch.rand(3, 6, 8, generator=g)
    return torch.nn.functional.interpolate(base[None], size=(h, w), mode="bilinear", align_corners=False)[0]


def test_damage_is_seeded_in_range_and_marks_where_it_drew():
    x = photo()
    (a, ma), (b, mb) = damage(x, random.Random(3)), damage(x, random.Random(3))
    assert torch.equal(a, b) and torch.equal(ma, mb)
    for s in range(20):
        d, alpha = damage(x, random.Random(s))
        assert d.shape == x.shape and alpha.shape == (1, *x.shape[1:])
        assert d.min() >= 0 and d.max() <= 1 and alpha.min() >= 0 and alpha.max() <= 1
        changed = (d - x).abs().amax(0) > 1e-4
        # every changed pixel is under the damage's alpha (nothing drawn outside its own mask)
        assert bool((alpha[0][changed] > 0).all())
        assert float(alpha.max()) > 0.2


def test_every_kind_draws_something():
    x = photo(1, 128, 128)
    for name, fn in KINDS.items():
        hits = 0
        for s in range(8):
            a, _ = fn(random.Random(s), 128, 128, x.numpy())
            hits += float(np.asarray(a).max()) > 0.2
        assert hits >= 4, name


def test_photo_lines_are_part_of_the_photo_not_of_the_mask():
    x = photo(2, 128, 128)
    changed = [float((photo_lines(x, random.Random(s)) - x).abs().max()) for s in range(10)]
    assert max(changed) > 0.1
    inp, target, alpha = sample(x, random.Random(4), p_clean=1.0, p_lines=1.0)
    assert float(alpha.max()) == 0.0  # a clean sample: whatever lines it has, nothing is damage


def test_negatives_v3_draw_poles_and_small_objects_in_the_photo_never_in_the_mask():
    x = photo(5, 128, 128)
    for fn in (_pole, _blob):
        drawn = [np.abs(fn(x.numpy().copy(), random.Random(s)) - x.numpy()) for s in range(8)]
        assert sum(float(d.max()) > 0.1 for d in drawn) >= 6, fn.__name__
        # small things: a pole or a few objects, never most of the frame
        assert max(float((d.max(0) > 0.02).mean()) for d in drawn) < 0.25, fn.__name__
        assert all(0 <= float(y.min()) and float(y.max()) <= 1
                   for y in (fn(x.numpy().copy(), random.Random(s)) for s in range(4)))
    assert set(NEGATIVES["v2"]) < set(NEGATIVES["v3"])
    for s in range(6):
        inp, target, alpha = sample(x, random.Random(s), p_clean=1.0, p_lines=1.0, negatives="v3")
        assert float(alpha.max()) == 0.0 and inp.shape == target.shape
    # the v2 configs draw what they drew (a run resumed across this change sees the same batches)
    assert torch.equal(photo_lines(x, random.Random(7)), photo_lines(x, random.Random(7), "v2"))


def test_polyline_distance_is_exact_on_a_segment():
    d, seg = polyline_distance(20, 30, np.array([[5.0, 10.0], [25.0, 10.0]], np.float32), pad=30)
    assert abs(float(d[10, 15]) - 0.5) < 1e-5  # pixel centre (15.5, 10.5) is 0.5 below the line
    assert abs(float(d[0, 0]) - np.hypot(5 - 0.5, 10 - 0.5)) < 1e-4
    assert int(seg.max()) == 0


def test_push_pull_keeps_known_pixels_and_continues_a_constant():
    x = torch.full((1, 3, 64, 64), 0.3)
    x[..., 20:30, 20:40] = 0.9  # what is under the hole
    known = torch.ones(1, 1, 64, 64)
    known[..., 18:32, 18:42] = 0
    f = push_pull(x, known)
    # known pixels come back (up to the pyramid's eps; ScratchFill composites the exact input there)
    assert torch.allclose(f[known.expand_as(f) > 0], x[known.expand_as(x) > 0], atol=1e-3)
    assert float((f[..., 18:32, 18:42] - 0.3).abs().max()) < 1e-3


def test_networks_keep_the_size_and_the_fill_keeps_unmasked_pixels():
    det, fill = ScratchDetector((8, 8, 8, 8)), ScratchFill((8, 8, 8, 8))
    x = torch.rand(2, 3, 64, 96)
    assert det(x).shape == (2, 1, 64, 96)
    m = (torch.rand(2, 1, 64, 96) > 0.9).float()
    y = fill(x, m)
    assert y.shape == x.shape
    assert torch.equal(y * (1 - m), x * (1 - m))
    assert 0 < gmac_per_mp(det) < 5


def test_damage_target_ignores_light_and_invisible_damage():
    clean = torch.zeros(1, 3, 4, 4)
    damaged = clean.clone()
    alpha = torch.zeros(1, 1, 4, 4)
    alpha[..., 0, 0], damaged[..., 0, 0] = 1.0, 1.0  # full, visible: damage
    alpha[..., 1, 1] = 1.0  # full but invisible (same colour): left out
    alpha[..., 2, 2], damaged[..., 2, 2] = 0.1, 0.1  # light touch: left out
    t, w = damage_target(alpha, damaged, clean)
    assert t[0, 0, 0, 0] == 1 and t.sum() == 1
    assert w[0, 0, 1, 1] == 0 and w[0, 0, 2, 2] == 0 and w[0, 0, 3, 3] == 1
    assert fill_mask(alpha)[0, 0, 0, 1] == 1  # grown by a pixel


def test_config_and_seeded_batches(tmp_path):
    from train_scratch import make_batch

    class Sampler:  # stands in for data.CropSampler: fixed photos, the rng the batch sets
        rng = None

        def batch(self, n):
            return torch.stack([photo(self.rng.randrange(5), 64, 64) for _ in range(n)])

    cfg = config(ScratchConfig, crop=64, batch=3)
    a, b = make_batch(Sampler(), cfg, 7), make_batch(Sampler(), cfg, 7)
    assert all(torch.equal(p, q) for p, q in zip(a, b))
    assert not torch.equal(make_batch(Sampler(), cfg, 8)[0], a[0])
    assert a[0].shape == (3, 3, 64, 64) and a[2].shape == (3, 1, 64, 64)


def test_onnx_export_matches_pytorch_through_onnxruntime_node(tmp_path):
    torch.manual_seed(0)
    det, fill = ScratchDetector((8, 8, 8, 8)).eval(), ScratchFill((8, 8, 8, 8)).eval()
    p_det = export_onnx(det, (torch.rand(1, 3, 64, 64),), tmp_path / "d.onnx", ["image"], ["logit"])
    p_fill = export_onnx(fill, (torch.rand(1, 3, 64, 64), torch.zeros(1, 1, 64, 64)), tmp_path / "f.onnx",
                         ["image", "mask"], ["filled"])
    x = torch.rand(1, 3, 64, 96)
    m = (torch.rand(1, 1, 64, 96) > 0.8).float()
    with torch.no_grad():
        ref_d, ref_f = det(x).numpy(), fill(x, m).numpy()
    assert np.abs(run_ort_node(p_det, {"image": x.numpy()})["logit"] - ref_d).max() < 1e-4
    assert np.abs(run_ort_node(p_fill, {"image": x.numpy(), "mask": m.numpy()})["filled"] - ref_f).max() < 1e-4
