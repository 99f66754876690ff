"""Image statistics the diffusion prior's release checks compare with natural photos.

For images in [0, 1], [N, 3, H, W], each a mean over the N images:
- gradient: mean magnitude of the luma gradient (central differences), in 8-bit levels per pixel;
- chroma spread: sqrt((var a* + var b*) / 2) within each image, CIELAB (D65, sRGB);
- saturation: mean HSV saturation, (max - min) / max.
A sample sheet of confetti (the young prior) has 2-3x the natural gradient, chroma spread and saturation.
"""
import torch


def srgb_to_lab(x: torch.Tensor) -> torch.Tensor:
    x = x.double().clamp(0, 1)
    lin = torch.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)
    r, g, b = lin[:, 0], lin[:, 1], lin[:, 2]
    X = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    Y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    Z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    f = lambda t: torch.where(t > 216 / 24389, t.clamp(min=1e-12) ** (1 / 3), (24389 / 27 * t + 16) / 116)
    fx, fy, fz = f(X), f(Y), f(Z)
    return torch.stack([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)], 1)


def image_stats(x: torch.Tensor) -> dict:
    x = x.double().clamp(0, 1)
    y = (0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]) * 255
    gx = (y[:, 1:-1, 2:] - y[:, 1:-1, :-2]) / 2
    gy = (y[:, 2:, 1:-1] - y[:, :-2, 1:-1]) / 2
    grad = (gx ** 2 + gy ** 2).sqrt().flatten(1).mean(1)
    lab = srgb_to_lab(x)
    spread = ((lab[:, 1].flatten(1).var(1) + lab[:, 2].flatten(1).var(1)) / 2).sqrt()
    mx, mn = x.max(1).values, x.min(1).values
    sat = torch.where(mx > 0, (mx - mn) / mx.clamp(min=1e-12), torch.zeros_like(mx)).flatten(1).mean(1)
    return {"gradient": float(grad.mean()), "chroma_spread": float(spread.mean()), "saturation": float(sat.mean())}


def within(stats: dict, ref: dict, tol: float = 0.25) -> dict:
    """Relative difference of each statistic to the reference, and whether all are within tol."""
    rel = {k: stats[k] / ref[k] - 1 for k in ref}
    return {"relative": rel, "ok": all(abs(v) <= tol for v in rel.values())}
