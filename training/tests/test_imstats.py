import torch

from revive_train.imstats import image_stats, srgb_to_lab, within


def test_lab_of_white_grey_and_red():
    lab = srgb_to_lab(torch.tensor([[1.0, 1.0, 1.0], [0.5, 0.5, 0.5], [1.0, 0.0, 0.0]]).view(3, 3, 1, 1))[:, :, 0, 0]
    assert abs(lab[0, 0] - 100) < 0.1 and lab[0, 1:].abs().max() < 0.1
    assert abs(lab[1, 0] - 53.4) < 0.2 and lab[1, 1:].abs().max() < 0.1
    assert abs(lab[2, 0] - 53.2) < 0.3 and abs(lab[2, 1] - 80.1) < 0.5 and abs(lab[2, 2] - 67.2) < 0.5


def test_flat_grey_has_no_gradient_chroma_or_saturation():
    s = image_stats(torch.full((2, 3, 16, 16), 0.4))
    assert s == {"gradient": 0.0, "chroma_spread": 0.0, "saturation": 0.0}


def test_confetti_scores_far_above_a_smooth_image():
    g = torch.Generator().manual_seed(0)
    confetti = torch.rand(4, 3, 32, 32, generator=g)
    ramp = torch.linspace(0.2, 0.6, 32).view(1, 1, 1, 32).expand(4, 3, 32, 32).clone()
    ramp[:, 0] *= 1.1
    a, b = image_stats(confetti), image_stats(ramp)
    assert a["gradient"] > 10 * b["gradient"]
    assert a["chroma_spread"] > 5 * b["chroma_spread"]
    assert a["saturation"] > 3 * b["saturation"]
    assert within(b, b)["ok"] and not within(a, b)["ok"]
