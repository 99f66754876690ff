"""The scratch stage's training parts: synthetic damage (seeded, in range, its mask where it drew), the photo's own
thin structures (never in the mask), the networks' shapes and contracts (the fill keeps unmasked pixels exactly; push-
pull keeps known pixels and continues a constant), what counts as damage, the seeded batches, and the ONNX export's
parity through onnxruntime-node."""
import json
import random
import sys
from pathlib import Path

import numpy as np
import pytest
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


def test_kind_weights_and_flat_damage():
    x = photo(5, 128, 128)
    # the defaults draw what they always drew (seeded validation sets must not move)
    a, ma = damage(x, random.Random(9))
    b, mb = damage(x, random.Random(9), weights=None, p_flat=0.0)
    assert torch.equal(a, b) and torch.equal(ma, mb)
    # one kind alone: only torn corners or edges, which always touch the photo's border
    for s in range(6):
        _, alpha = damage(x, random.Random(s), n_kinds=1, weights={"torn": 1.0})
        m = alpha[0] > 0.5
        assert bool(m[0].any() or m[-1].any() or m[:, 0].any() or m[:, -1].any())
    # flat damage: the colour inside a fully covered hole does not vary (no fibres, no dirt)
    flat = textured = 0
    for s in range(12):
        d, alpha = damage(x, random.Random(s), n_kinds=1, weights={"torn": 1.0}, p_flat=1.0)
        inside = alpha[0] >= 1.0
        if int(inside.sum()) > 50:
            flat += float(d[:, inside].std(1).max()) < 1e-6
        d, alpha = damage(x, random.Random(s), n_kinds=1, weights={"torn": 1.0})
        inside = alpha[0] >= 1.0
        if int(inside.sum()) > 50:
            textured += float(d[:, inside].std(1).max()) > 1e-3
    assert flat >= 4 and textured >= 3


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


def test_a_run_starts_from_shipped_models_weights(tmp_path, monkeypatch):
    """init_models: the ONNX files a run starts from (weights rounded to float16 and stored so, as export_scratch.py
    ships them) give back exactly the network's weights."""
    from revive_train import scratch_mine
    from revive_train.onnx_export import store_fp16
    from train_scratch import Pair
    torch.manual_seed(1)
    src = Pair((8, 8, 8, 8)).eval()
    src.load_state_dict({k: v.half().float() for k, v in src.state_dict().items()})
    export_onnx(src.detect, (torch.rand(1, 3, 64, 64),), tmp_path / "d.onnx", ["image"], ["logit"], opset=17)
    store_fp16(tmp_path / "d.onnx")
    export_onnx(src.fill, (torch.rand(1, 3, 64, 64), torch.zeros(1, 1, 64, 64)), tmp_path / "f.onnx",
                ["image", "mask"], ["filled"], opset=17)
    store_fp16(tmp_path / "f.onnx")
    monkeypatch.setattr(scratch_mine, "ROOT", tmp_path)
    dst = Pair((8, 8, 8, 8))
    scratch_mine.init_from_models(dst, {"detect": "d.onnx", "fill": "f.onnx"})
    for (k, a), b in zip(src.state_dict().items(), dst.state_dict().values()):
        assert torch.equal(a, b), k
    with pytest.raises(ValueError):
        scratch_mine.init_from_models(Pair((8, 8, 8, 16)), {"detect": "d.onnx", "fill": "f.onnx"})


class MarksBright(torch.nn.Module):
    """A stand-in detector: logit +8 where the photo is near white, -8 elsewhere."""

    def forward(self, x):
        return (x.amin(1, keepdim=True) > 0.95).float() * 16 - 8


def test_mining_finds_where_a_detector_marks_and_crops_around_it(tmp_path):
    from PIL import Image
    from revive_train.scratch_mine import hard_crop, mine, spot_weights
    a = (photo(2, 200, 300).permute(1, 2, 0).numpy() * 200).astype(np.uint8)
    a[100:104, 220:226] = 255  # one white speck: a "false mark" at (222.5, 101.5)
    (tmp_path / "set").mkdir()
    Image.fromarray(a).save(tmp_path / "set" / "p.png")
    spots = mine(MarksBright(), thr=0.5, crop=64, root=tmp_path, folders=("set",))
    full = [s for s in spots if s["scale"] == 1]
    assert len(full) == 1 and abs(full[0]["x"] - 222.5) < 0.6 and abs(full[0]["y"] - 101.5) < 0.6
    assert full[0]["area"] == 24 and full[0]["peak"] > 0.99
    assert all(s["scale"] in (0.5, 0.25) for s in spots if s is not full[0])
    img = torch.from_numpy(a).permute(2, 0, 1).contiguous()
    for seed in range(10):
        c = hard_crop([img], full, 64, random.Random(seed))
        assert c.shape == (3, 64, 64) and c.dtype == torch.uint8
        assert int((c.int().amin(0) == 255).sum()) == 24  # the speck is in every crop, whole
    assert torch.equal(hard_crop([img], full, 64, random.Random(4)), hard_crop([img], full, 64, random.Random(4)))
    # a photo with many spots shares one photo's weight by the square root of their number
    many = [{"photo": 0, "peak": 1.0}] * 4 + [{"photo": 1, "peak": 1.0}]
    w = spot_weights(many)
    assert sum(w[:4]) == pytest.approx(2 * w[4])


def test_hard_crops_enter_the_batches_only_when_asked():
    from train_scratch import make_batch

    class Sampler:
        rng = None
        images = [(photo(3, 200, 200) * 255).byte()]

        def batch(self, n):
            return torch.stack([photo(self.rng.randrange(5), 64, 64) for _ in range(n)])

    spots = [{"photo": 0, "scale": 1.0, "x": 100.0, "y": 100.0, "peak": 0.9, "area": 10}]
    cfg = config(ScratchConfig, crop=64, batch=4)
    plain = make_batch(Sampler(), cfg, 7)
    assert all(torch.equal(p, q) for p, q in zip(plain, make_batch(Sampler(), cfg, 7, spots=spots)))
    hard_cfg = config(ScratchConfig, crop=64, batch=4, p_hard=1.0)
    a, b = make_batch(Sampler(), hard_cfg, 7, spots=spots), make_batch(Sampler(), hard_cfg, 7, spots=spots)
    assert all(torch.equal(p, q) for p, q in zip(a, b))
    assert not torch.equal(a[1], plain[1])  # the clean crops (targets) come from the mined photo now


def test_eval_emulates_the_engines_region_rules():
    """eval_scratch.py's coarse_filter and drop_dark_flat follow src/core/scratch/scratch.ts (the same scene as
    test/unit/scratch-core.test.ts 'dark flat regions'): the mount goes, a black scratch, a dark textured block and a
    light flat block stay; small coarse regions go, 8-connected diagonals count as one."""
    import eval_scratch as ev
    w, h = 100, 60
    x = torch.full((3, h, w), 0.5)
    prob = torch.zeros(1, h, w)
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    par = ((xx + yy) % 2).float()
    x[:, :30, :40] = (0.02 + 0.01 * par)[:30, :40]
    x[:, 40:42, 5:95] = 0.01
    x[:, :30, 60:] = torch.where(par[:30, 60:] > 0, 0.0, 0.12)
    x[:, 45:, 40:] = 0.95
    for sl in [(slice(0, 30), slice(0, 40)), (slice(40, 42), slice(5, 95)), (slice(0, 30), slice(60, 100)),
               (slice(45, 60), slice(40, 100))]:
        prob[0][sl] = 240 / 255
    out = ev.drop_dark_flat(prob, x, 217 / 255)
    assert out[0, 10, 10] == 0 and out[0, 40, 50] > 0 and out[0, 10, 70] > 0 and out[0, 50, 70] > 0
    cs = torch.zeros(1, 20, 20)
    for i in range(12):
        cs[0, 2 + i, 2 + i] = 0.98  # a diagonal of 12: one region 8-connected
    cs[0, 15, 15:18] = 0.98  # 3 px
    kept = ev.coarse_filter(cs, 0.85, 10)
    assert kept[0, 2, 2] > 0 and kept[0, 13, 13] > 0 and float(kept[0, 15, 15:18].sum()) == 0


def test_eval_emulates_the_engines_dark_line_rule():
    """eval_scratch.drop_dark_lines follows scratch.ts dropDarkLines (the scene of test/unit/scratch-core.test.ts
    'thick dark lines'): the cable goes; a thin scratch, a round speck, a band on a dark surround and a white band stay;
    a stricter rule keeps the cable."""
    import eval_scratch as ev
    w, h = 120, 80
    x = torch.full((3, h, w), 0.5)
    prob = torch.zeros(1, h, w)

    def put(x0, x1, y0, y1, v, p=240 / 255):
        x[:, y0:y1, x0:x1] = v
        prob[0, y0:y1, x0:x1] = p
    put(0, w, 56, 72, 0.25, 0.0)
    for sl, v in [((5, 115, 10, 18), 0.08), ((5, 115, 30, 32), 0.02), ((20, 30, 40, 50), 0.05), ((5, 115, 60, 68), 0.2),
                  ((5, 115, 73, 79), 0.95)]:
        put(*sl, v)
    out = ev.drop_dark_lines(prob, x, 217 / 255)
    assert out[0, 14, 50] == 0
    assert all(out[0, y, xx] > 0 for y, xx in [(30, 50), (45, 25), (64, 50), (75, 50)])
    for rule in [dict(ev.DARK_LINE, min_half_width=4), dict(ev.DARK_LINE, max_luma=0.07), dict(ev.DARK_LINE, min_contrast=0.45)]:
        assert ev.drop_dark_lines(prob, x, 217 / 255, rule)[0, 14, 50] > 0


def test_an_ensemble_file_loads_whole_as_a_teacher_and_by_member(tmp_path, monkeypatch):
    """load_detector reads a shipped ensemble (its members counted from the names) and computes what it computed;
    "file.onnx#members.1" gives one member's weights to a single detector (a run that starts from it)."""
    from revive_train import scratch_mine
    from revive_train.scratch import ScratchEnsemble
    from train_scratch import Pair
    torch.manual_seed(2)
    ens = ScratchEnsemble((8, 8, 8, 8), 2).eval()
    export_onnx(ens, (torch.rand(1, 3, 64, 64),), tmp_path / "e.onnx", ["image"], ["logit"], opset=17)
    monkeypatch.setattr(scratch_mine, "ROOT", tmp_path)
    det = scratch_mine.load_detector("e.onnx")
    x = torch.rand(1, 3, 64, 96)
    with torch.no_grad():
        assert torch.allclose(det(x), ens(x), atol=1e-6)
    assert not any(p.requires_grad for p in det.parameters())
    pair = Pair((8, 8, 8, 8))
    scratch_mine.init_from_models(pair, {"detect": "e.onnx#members.1"})
    with torch.no_grad():
        assert torch.allclose(pair.detect(x), ens.members[1](x), atol=1e-6)
    with pytest.raises(ValueError):
        scratch_mine.init_from_models(pair, {"detect": "e.onnx#members.7"})


def test_eval_finds_a_prints_border_as_the_engine_does():
    """eval_scratch.scan_frame / clear_frame follow scratch.ts scanFrame / clearFrame (test/unit/scratch-core.test.ts
    "a print's border"): a cream border on every side is found with its widths, one side alone is not."""
    import eval_scratch as ev
    g = torch.Generator().manual_seed(7)
    x = torch.empty(3, 80, 120)
    x[:] = torch.tensor([240, 235, 220]).view(3, 1, 1) / 255
    x[:, 10:70, 6:114] = 0.15 + 0.7 * torch.rand(3, 60, 108, generator=g)
    for px, py in [(20, 3), (60, 75), (2, 40)]:
        x[:, py, px] = 30 / 255
    assert ev.scan_frame(x) == {"top": 10, "bottom": 10, "left": 6, "right": 6}
    sky = x.clone()
    sky[:, 10:, :] = 0.15 + 0.7 * torch.rand(3, 70, 120, generator=g)
    sky[:, :10, 6:] = x[:, :10, 6:]
    sky[:, :, :6] = 0.15 + 0.7 * torch.rand(3, 80, 6, generator=g)
    assert ev.scan_frame(sky) == {"top": 0, "bottom": 0, "left": 0, "right": 0}
    photo = 0.15 + 0.7 * torch.rand(3, 80, 120, generator=g)  # an edge line on one side alone counts
    for rows, value, want in (([0], 0.0, {"top": 1}), ([78, 79], 1.0, {"bottom": 2}), ([0, 1, 2], 0.0, {})):
        y = photo.clone()
        y[:, rows] = value
        assert ev.scan_frame(y) == {"top": 0, "bottom": 0, "left": 0, "right": 0, **want}
    p = ev.clear_frame(torch.full((1, 10, 20), 0.8), {"top": 1, "bottom": 0, "left": 2, "right": 0}, 1)
    assert float(p[0, :2].sum()) == 0 and float(p[0, :, :3].sum()) == 0 and float(p[0, 2:, 3:].min()) == pytest.approx(0.8)


def test_eval_runs_the_detector_in_unpadded_windows_as_the_engine_does():
    """eval_scratch.py anchored_spans/prob_pass follow src/core/scratch/scratch.ts detectAxis (the same numbers as
    test/unit/scratch-core.test.ts): no window is padded at the far edge; the last window is cut to the multiple of 16
    and a 128 px window at the edge owns the last 16-31 px."""
    import eval_scratch as ev
    assert ev.anchored_spans(481) == [(0, 480, 0, 464), (353, 481, 464, 481)]
    assert ev.anchored_spans(480) == [(0, 480, 0, 480)]
    assert ev.anchored_spans(10) == [(0, 10, 0, 10)]
    assert ev.anchored_spans(20) == [(0, 20, 0, 20)]
    assert ev.anchored_spans(33) == [(0, 32, 0, 16), (1, 33, 16, 33)]
    assert ev.anchored_spans(120) == [(0, 112, 0, 96), (8, 120, 96, 120)]

    class Windowed:
        """A detector that says which window wrote a pixel: probability high in a wide window, low in a narrow one."""
        widths = []

        def detect(self, x):
            self.widths.append(x.shape[-1])
            return torch.full_like(x[:, :1], 3.0 if x.shape[-1] > 256 else -3.0)

    det = Windowed()
    p = ev.prob_pass(det, torch.rand(3, 48, 481), tta=None)[0]
    assert det.widths == [480, 128]  # both unpadded (48 rows: a multiple of 16)
    assert bool((p[:, :464] > 0.9).all()) and bool((p[:, 464:] < 0.1).all())


def test_eval_turns_the_detector_half_round_as_the_engine_does():
    """window_logit with tta "rot180" (src/core/scratch/scratch.ts detectPass, the same numbers as
    test/unit/scratch-core.test.ts): the mean of the window's logit and, turned back, the turned window's; one run
    where the first logit stays under TTA_FROM_LOGIT everywhere. The shipped detector's entry asks for it."""
    import eval_scratch as ev

    class Slanted:
        """10 (red - 0.5) + 0.04 column: not symmetric, so a turned run differs."""
        calls = 0

        def detect(self, x):
            self.calls += 1
            return 10 * (x[:, :1] - 0.5) + 0.04 * torch.arange(x.shape[-1]).float()

    x = torch.full((1, 3, 32, 48), 128 / 255)
    det = Slanted()
    plain = ev.window_logit(det, x, None)
    turned = ev.window_logit(det, x, "rot180")
    assert det.calls == 3
    assert float(plain[..., -1].mean() - plain[..., 0].mean()) == pytest.approx(0.04 * 47, abs=1e-4)
    assert torch.allclose(turned, torch.full_like(turned, 10 * (128 / 255 - 0.5) + 0.04 * 47 / 2), atol=1e-5)
    det.calls = 0
    dark = ev.window_logit(det, torch.zeros(1, 3, 32, 48), "rot180")  # at most -3.12: under -2.944
    assert det.calls == 1 and float(dark.max()) == pytest.approx(-5 + 0.04 * 47, abs=1e-5)
    with pytest.raises(ValueError):
        ev.window_logit(det, x, "rot90")
    manifest = json.loads((Path(__file__).resolve().parents[2] / "models" / "manifest.json").read_text())
    detectors = [m for m in manifest["models"] if m["kind"] == "scratch"]
    assert detectors and all(m.get("tta") == ev.DETECT_TTA for m in detectors)


def test_a_guided_fill_starts_as_the_plain_one_it_is_widened_from(tmp_path, monkeypatch):
    """fill_guided: the plain fill's file loads into the guided network (the new input channels zero), which then
    computes exactly what the plain one does, guided or not; unmasked pixels stay the input exactly; and its ONNX
    export (a third input, guide) matches PyTorch through onnxruntime-node both ways."""
    from revive_train import scratch_mine
    from revive_train.onnx_export import store_fp16
    from train_scratch import Pair
    torch.manual_seed(2)
    src = Pair((8, 8, 8, 8)).eval()
    src.load_state_dict({k: v.half().float() for k, v in src.state_dict().items()})
    export_onnx(src.detect, (torch.rand(1, 3, 64, 64),), tmp_path / "d.onnx", ["image"], ["logit"], opset=17)
    export_onnx(src.fill, (torch.rand(1, 3, 64, 64), torch.zeros(1, 1, 64, 64)), tmp_path / "f.onnx",
                ["image", "mask"], ["filled"], opset=17)
    store_fp16(tmp_path / "f.onnx")
    monkeypatch.setattr(scratch_mine, "ROOT", tmp_path)
    dst = Pair((8, 8, 8, 8), guided=True).eval()
    scratch_mine.init_from_models(dst, {"detect": "d.onnx", "fill": "f.onnx"})
    x = torch.rand(2, 3, 64, 96)
    m = (torch.rand(2, 1, 64, 96) > 0.8).float()
    with torch.no_grad():
        ref = src.fill(x, m)
        for g in (None, torch.zeros(2, 1, 1, 1), torch.ones(2, 1, 1, 1)):
            assert torch.equal(dst.fill(x, m, g), ref)
        # once the new channels have weights, what is under the mask matters only when guided
        dst.fill.net.inc[0][0].weight[:, 16:] = torch.randn_like(dst.fill.net.inc[0][0].weight[:, 16:])
        x2 = x * (1 - m) + torch.rand_like(x) * m  # other pixels under the mask
        off = torch.zeros(2, 1, 1, 1)
        assert torch.equal(dst.fill(x, m, off), dst.fill(x2, m, off))
        assert not torch.equal(dst.fill(x, m), dst.fill(x2, m))
        assert torch.equal(dst.fill(x, m) * (1 - m), x * (1 - m))
    p = export_onnx(dst.fill, (torch.rand(1, 3, 64, 64), torch.zeros(1, 1, 64, 64), torch.ones(1, 1, 1, 1)),
                    tmp_path / "g.onnx", ["image", "mask", "guide"], ["filled"],
                    dynamic={"image": {0: "n", 2: "h", 3: "w"}, "mask": {0: "n", 2: "h", 3: "w"},
                             "filled": {0: "n", 2: "h", 3: "w"}, "guide": {0: "n"}})
    for g in (0.0, 1.0):
        gt = torch.full((1, 1, 1, 1), g)
        with torch.no_grad():
            want = dst.fill(x[:1], m[:1], gt).numpy()
        got = run_ort_node(p, {"image": x[:1].numpy(), "mask": m[:1].numpy(), "guide": gt.numpy()})["filled"]
        assert np.abs(got - want).max() < 1e-4


def test_sample_with_lines_draws_as_sample_and_marks_the_photos_own_lines():
    from revive_train.scratch_damage import sample_with_lines
    seen = 0
    for seed in range(12):
        a = sample(photo(seed), random.Random(seed), 0.2, 1.0, "v3")
        b = sample_with_lines(photo(seed), random.Random(seed), 0.2, 1.0, "v3")
        assert all(torch.equal(p, q) for p, q in zip(a, b[:3]))
        lines = b[3]
        assert lines.shape == (1, 96, 128) and set(lines.unique().tolist()) <= {0.0, 1.0}
        seen += int(lines.sum() > 0)
    assert seen >= 8  # p_lines 1: nearly every photo has some (a line can fall where it changes little)


def test_guided_fill_training_masks_false_marks_and_decoys_with_the_photo_as_target():
    """guided_fill_loss: guided crops are filled over the detector's marks and the photo's own lines too, whose
    target is the photo (false_share > 0); the loss reaches the fill only (the detector has no gradient)."""
    from train_scratch import Pair, guided_fill_loss
    torch.manual_seed(3)
    pair = Pair((8, 8, 8, 8), guided=True)
    pair.detect = MarksBright()
    cfg = config(ScratchConfig, crop=64, batch=4, fill_guided=True, train_detect=False, p_unguided=0.0,
                 decoy_lines=1.0, guided_thr=[0.5])
    clean = torch.stack([photo(s, 64, 64) for s in range(4)])
    damaged, alpha, lines = clean.clone(), torch.zeros(4, 1, 64, 64), torch.zeros(4, 1, 64, 64)
    damaged[:, :, 30:32, :] = 1.0  # a white scratch
    alpha[:, :, 30:32, :] = 1.0
    lines[:, :, :, 10:12] = 1.0  # the photo's own line
    loss, parts = guided_fill_loss(pair, damaged, clean, alpha, cfg, random.Random(0), lines)
    loss.backward()
    assert parts["false_share"] > 0.2
    assert pair.fill.net.inc[0][0].weight.grad is not None
