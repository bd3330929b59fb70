"""Image-comparison fixtures: pairs of RGB8 images with their PSNR, SSIM, max and mean |difference| and the
difference heat-map, as `img2img verify` reports them (Sources/Images/ImageComparison.swift).

SSIM is skimage's `structural_similarity(a, b, channel_axis=2, data_range=255, gaussian_weights=True, sigma=1.5,
use_sample_covariance=False)` — Wang et al. 2004: 11×11 Gaussian window (σ 1.5, radius int(3.5σ + 0.5) = 5),
K1 0.01, K2 0.03, per channel on R, G, B, averaged over the window positions that lie inside the image and then
over the channels. It is computed here with scipy's `gaussian_filter` (whole image, mode "reflect", then the
5-pixel border cropped) exactly as skimage 0.26 does, and checked against skimage itself when it is importable
(it is not part of the pinned reference venv; `pip install scikit-image==0.26.0` beside it to check).

PSNR is 10·log10(255² / MSE) over every channel value (inf when identical); |difference| is over every channel
value in levels. The heat-map colours each pixel by d = max over channels |a − b|, t = d / max(1, largest d),
with matplotlib's "hot" ramp r = clip(3t), g = clip(3t − 1), b = clip(3t − 2), rounded half-up to 0…255.

Layout of Tests/Fixtures/comparison/:
    <name>.a.rgb, <name>.b.rgb, <name>.heat.rgb   RGB8 pixels, row-major interleaved
    manifest.json                                 [{name, width, height, psnr, ssim, max_abs, mean_abs}]
"""
import json
import math
import pathlib

import numpy as np
from scipy.ndimage import gaussian_filter

SEED = 20261208
SIGMA = 1.5
TRUNCATE = 3.5
K1, K2, DATA_RANGE = 0.01, 0.03, 255.0


def ssim_channel(x: np.ndarray, y: np.ndarray) -> float:
    """skimage's structural_similarity for one channel (gaussian_weights=True, population covariance)."""
    radius = int(TRUNCATE * SIGMA + 0.5)
    x = x.astype(np.float64)
    y = y.astype(np.float64)

    def blur(image):
        return gaussian_filter(image, sigma=SIGMA, truncate=TRUNCATE, mode="reflect")

    ux, uy = blur(x), blur(y)
    vx = blur(x * x) - ux * ux
    vy = blur(y * y) - uy * uy
    vxy = blur(x * y) - ux * uy
    c1, c2 = (K1 * DATA_RANGE) ** 2, (K2 * DATA_RANGE) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    return float(s[radius:-radius, radius:-radius].mean(dtype=np.float64))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean([ssim_channel(a[..., c], b[..., c]) for c in range(3)]))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return math.inf if mse == 0 else 10 * math.log10(DATA_RANGE ** 2 / mse)


def heat_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = np.abs(a.astype(np.int32) - b.astype(np.int32)).max(axis=2).astype(np.float64)
    t = d / max(1.0, d.max())
    ramp = np.stack([np.clip(3 * t - k, 0, 1) for k in range(3)], axis=2)
    return np.floor(ramp * 255 + 0.5).astype(np.uint8)


def smooth_image(rng, height, width):
    """A smooth colour field (blurred noise) so SSIM sees structure, not only noise."""
    noise = rng.normal(size=(height, width, 3))
    field = np.stack([gaussian_filter(noise[..., c], 3) for c in range(3)], axis=2)
    field = (field - field.min()) / (field.max() - field.min())
    return np.round(field * 255).astype(np.uint8)


def perturbed(rng, image, scale):
    return np.clip(image.astype(np.float64) + rng.normal(scale=scale, size=image.shape), 0, 255).round().astype(np.uint8)


def cases(rng):
    base = smooth_image(rng, 40, 56)
    yield "identical", base, base.copy()
    yield "one_level", base, np.clip(base.astype(np.int16) + (rng.random(base.shape) < 0.1), 0, 255).astype(np.uint8)
    yield "light_noise", base, perturbed(rng, base, 2.0)
    yield "heavy_noise", base, perturbed(rng, base, 40.0)
    other = smooth_image(rng, 40, 56)
    yield "unrelated", base, other
    shifted = np.roll(base, 3, axis=1)
    yield "shifted", base, shifted
    small = smooth_image(rng, 11, 13)
    yield "window_sized", small, perturbed(rng, small, 10.0)
    flat = np.full((24, 24, 3), 128, np.uint8)
    yield "flat_vs_offset", flat, np.full((24, 24, 3), 131, np.uint8)


def generate(out_dir: pathlib.Path):
    rng = np.random.default_rng(SEED)
    try:
        from skimage.metrics import structural_similarity
    except ImportError:
        structural_similarity = None
    manifest = []
    for name, a, b in cases(rng):
        value = ssim(a, b)
        if structural_similarity is not None:
            check = structural_similarity(a, b, channel_axis=2, data_range=DATA_RANGE, gaussian_weights=True,
                                          sigma=SIGMA, use_sample_covariance=False)
            assert abs(check - value) < 1e-12, (name, check, value)
        diff = np.abs(a.astype(np.int32) - b.astype(np.int32))
        (out_dir / f"{name}.a.rgb").write_bytes(a.tobytes())
        (out_dir / f"{name}.b.rgb").write_bytes(b.tobytes())
        (out_dir / f"{name}.heat.rgb").write_bytes(heat_map(a, b).tobytes())
        value_psnr = psnr(a, b)
        manifest.append({"name": name, "width": int(a.shape[1]), "height": int(a.shape[0]),
                         "psnr": None if math.isinf(value_psnr) else value_psnr, "ssim": value,
                         "max_abs": int(diff.max()), "mean_abs": float(diff.mean())})
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"  {len(manifest)} pairs; skimage cross-check: {'yes' if structural_similarity else 'not installed'}")


if __name__ == "__main__":
    generate(pathlib.Path(__file__).resolve().parent / "comparison")
