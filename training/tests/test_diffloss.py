import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from revive_train.diffloss import DiffLoss
from revive_train.restorer import Restorer
from revive_train.unet import UNet


def setup():
    torch.manual_seed(0)
    unet = UNet(ch=16, mults=(1, 2), num_res_blocks=1, patch=2, mid_blocks=1)
    for p in unet.parameters():  # the zero-initialised output convs would hide the gradient path
        p.data.normal_(0, 0.05)
    net = Restorer(width=8, enc_blocks=(1, 1, 1), mid_blocks=1, dec_blocks=(1, 1, 1))
    for p in net.parameters():
        p.data.normal_(0, 0.05)
    return unet, net


def test_nat_term_alone_trains_the_restorer_not_the_unet():
    unet, net = setup()
    crit = DiffLoss(unet, t_min=10, t_max=200, lambda_nat=1.0, lambda_sem=0.0)
    crit.train()
    assert not unet.training, "the prior must stay in eval mode"
    x = torch.rand(2, 3, 32, 32)
    z = net((x + 0.1 * torch.randn_like(x)).clamp(0, 1))
    nat, sem = crit.prior_terms(z, x, generator=torch.Generator().manual_seed(0))
    assert nat.requires_grad and nat.item() > 0
    nat.backward()
    grads = [p.grad for p in net.parameters() if p.grad is not None]
    assert grads and sum(g.abs().sum().item() for g in grads) > 0, "L_nat must reach the restoration network"
    assert all(p.grad is None for p in unet.parameters()), "the prior is frozen"
    assert all(not p.requires_grad for p in unet.parameters())


def test_sem_term_alone_has_gradient():
    unet, net = setup()
    crit = DiffLoss(unet, lambda_nat=0.0, lambda_sem=1.0)
    x = torch.rand(2, 3, 32, 32)
    z = net((x + 0.1 * torch.randn_like(x)).clamp(0, 1))
    _, sem = crit.prior_terms(z, x, generator=torch.Generator().manual_seed(1))
    sem.backward()
    assert sum(p.grad.abs().sum().item() for p in net.parameters() if p.grad is not None) > 0


def test_same_t_and_noise_zero_at_the_clean_image():
    unet, _ = setup()
    crit = DiffLoss(unet)
    x = torch.rand(2, 3, 32, 32)
    nat, sem = crit.prior_terms(x.clone(), x, generator=torch.Generator().manual_seed(2))
    assert nat.item() == 0 and sem.item() == 0


def test_total_loss_parts():
    unet, net = setup()
    crit = DiffLoss(unet, lambda_nat=0.5, lambda_sem=0.25, pixel="l1")
    x = torch.rand(2, 3, 32, 32)
    z = x + 0.05
    g = lambda: torch.Generator().manual_seed(3)
    total, parts = crit(z, x, generator=g())
    nat, sem = crit.prior_terms(z, x, generator=g())
    assert abs(total.item() - (parts["pix"] + 0.5 * nat.item() + 0.25 * sem.item())) < 1e-5
    assert abs(parts["pix"] - 0.05) < 1e-6
