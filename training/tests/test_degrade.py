import random
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from revive_train import degrade as D


def _img(n=4, s=64):
    g = torch.Generator().manual_seed(0)
    base = torch.rand(n, 3, s // 8, s // 8, generator=g)
    return torch.nn.functional.interpolate(base, size=(s, s), mode="bilinear", align_corners=False)


def test_shapes_and_range():
    x = _img(8, 64)
    y = D.degrade_batch(x, random.Random(1))
    assert y.shape == x.shape and y.dtype == torch.float32
    assert y.min() >= 0 and y.max() <= 1
    y = D.degrade_batch(_img(2, 96)[:, :, :80], random.Random(2))  # non-square
    assert y.shape == (2, 3, 80, 96)


def test_every_operation_runs_and_changes_the_image():
    x = _img(1, 64)[0]
    ops = [D.gaussian_noise, D.poisson_noise, D.film_grain, D.gaussian_blur, D.defocus_blur, D.motion_blur,
           D.down_up, D.jpeg, D.fade, D.colour_cast, D.vignette, D.paper_texture, D.scratches, D.crease, D.dust]
    for f in ops:
        rng = random.Random(3)
        y = f(x, rng)
        assert y.shape == x.shape, f.__name__
        assert torch.isfinite(y).all(), f.__name__
        assert (y - x).abs().mean() > 1e-4, f.__name__


def test_deterministic_with_seed():
    x = _img(6, 64)
    a = D.degrade_batch(x, random.Random(42))
    b = D.degrade_batch(x, random.Random(42))
    c = D.degrade_batch(x, random.Random(43))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_clean_share():
    x = _img(1, 32)[0]
    rng = random.Random(7)
    n = 400
    clean = sum(torch.equal(D.degrade(x, rng, p_clean=0.1), x) for _ in range(n))
    assert 0.05 * n <= clean <= 0.16 * n
    assert torch.equal(D.degrade(x, random.Random(0), p_clean=1.0), x)


def test_jpeg_quality_range():
    x = _img(1, 64)[0]
    lo = D.jpeg(x, random.Random(0), quality=15)
    hi = D.jpeg(x, random.Random(0), quality=90)
    assert (lo - x).abs().mean() > (hi - x).abs().mean()


def test_training_batches_depend_on_seed_and_step_only():
    """Both arms (and a resumed run) see the same batch at the same step."""
    from conftest import config
    from revive_train.data import CropSampler
    from revive_train.degrade import make_batch
    g = torch.Generator().manual_seed(0)
    imgs = [(torch.rand(3, 80, 100, generator=g) * 255).byte() for _ in range(3)]
    cfg = config(seed=0, batch=4, p_clean=0.1)
    s1 = CropSampler(imgs, size=32, seed=0)
    s2 = CropSampler(imgs, size=32, seed=99)
    a = [make_batch(s1, cfg, step) for step in (0, 1, 7)]
    b = make_batch(s2, cfg, 7)
    assert torch.equal(a[2][0], b[0]) and torch.equal(a[2][1], b[1])
    assert not torch.equal(a[0][1], a[1][1])


def test_p_gauss_zero_draws_the_same_images_as_before_the_option():
    # Golden values computed with the degrade.py that had no p_gauss: the validation set and the steps already
    # trained must stay reproducible.
    y = D.degrade_batch(_img(6, 64), random.Random(42), 0.1, 0.0).double()
    assert abs(y.sum().item() - 35759.50289502414) < 1e-3
    assert abs((y ** 2).sum().item() - 20029.253445467486) < 1e-3


def test_p_gauss_one_is_plain_unclipped_gaussian_noise():
    x = _img(8, 64)
    y = D.degrade_batch(x, random.Random(7), p_clean=0.0, p_gauss=1.0)
    r = (y - x).flatten(1)
    sig = r.std(dim=1) * 255
    assert ((sig > 4.5) & (sig < 51)).all(), sig
    assert r.mean(dim=1).abs().max() < 0.01
    assert sig.max() - sig.min() > 5  # strengths vary
    assert y.min() < 0 or y.max() > 1  # not clipped: the benchmark's setting


def test_camera_noise_is_processed_sensor_noise():
    """Noise added in a linear mosaic and carried through demosaic, gamma and the camera's noise reduction: zero
    mean, correlated between neighbouring pixels (white noise is not), stronger in the shadows' sRGB values than a
    linear sensor's noise would leave them, and the clean photo under it unchanged."""
    g = torch.Generator().manual_seed(5)
    x = torch.rand(3, 8, 8, generator=g).repeat_interleave(12, 1).repeat_interleave(12, 2) * 0.8 + 0.1
    corr, dark, bright = [], [], []
    for seed in range(12):
        r = D.camera_noise(x, random.Random(seed)) - x
        assert torch.isfinite(r).all()
        assert abs(r.mean().item()) < 0.01
        a, b = r[:, :, :-1].flatten(), r[:, :, 1:].flatten()
        corr.append(torch.corrcoef(torch.stack([a, b]))[0, 1].item())
        y = D._luma(x)[0]
        dark.append(r.abs().mean(0)[y < 0.35].mean().item())
        bright.append(r.abs().mean(0)[y > 0.65].mean().item())
    assert min(corr) > 0.2, corr  # demosaicing spreads each sample over its neighbours
    assert sum(d > b for d, b in zip(dark, bright)) >= 9  # gamma lifts the shadows' noise
    assert torch.equal(D.camera_noise(x, random.Random(1)), D.camera_noise(x, random.Random(1)))


def test_mix_v3_leaves_the_broad_tones():
    """Mix "v3" has no fading, casts or vignetting: the photo's broad tones stay (the engine keeps them anyway),
    where "v2" (unchanged: the golden test above) moves them in a third of its inputs."""
    x = _img(1, 96)[0]
    rng = random.Random(11)
    broad = []
    for _ in range(300):
        y = D.degrade(x, rng, p_clean=0.0, mix="v3")
        assert y.shape == x.shape and y.min() >= 0 and y.max() <= 1
        broad.append((torch.nn.functional.avg_pool2d((y - x)[None], 32).abs().max()).item())
    broad.sort()
    assert broad[int(0.9 * len(broad))] < 0.06, broad[-20:]
    v2 = [torch.nn.functional.avg_pool2d((D.degrade(x, rng, p_clean=0.0) - x)[None], 32).abs().max().item()
          for _ in range(300)]
    assert sum(b > 0.06 for b in v2) > 60  # v2 fades and casts a third of its inputs


def test_mix_v3c_draws_more_camera_shots_alone(monkeypatch):
    """Mix "v3c" is v3 with camera noise alone in P_CAMERA_V3C of the damaged inputs instead of P_CAMERA_V3."""
    x = _img(1, 64)[0]
    calls = []
    real = D.camera_noise
    monkeypatch.setattr(D, "camera_noise", lambda y, rng: calls.append(1) or real(y, rng))  # not NOISES_V3's copy
    share = {}
    for mix in ("v3", "v3c"):
        calls.clear()
        rng = random.Random(5)
        for _ in range(400):
            D.degrade(x, rng, p_clean=0.0, mix=mix)
        share[mix] = len(calls) / 400
    assert abs(share["v3"] - D.P_CAMERA_V3) < 0.05 and abs(share["v3c"] - D.P_CAMERA_V3C) < 0.06, share
