"""The safety checker: a tiny random-weight diffusers `StableDiffusionSafetyChecker` (ViT: hidden 32, 2 layers,
4 heads, 224 px images in 32 px patches, projection 16) in the Hub's key layout, openai/clip-vit-base-patch32's
preprocessor_config.json, input PNGs of assorted sizes, and the reference outputs:

  checker/                 config.json, model.safetensors (`vision_model.vision_model.*` keys, as the Hub's
                           CompVis/stable-diffusion-safety-checker), preprocessor_config.json
  images/NN_WxH.png        inputs
  crops/NN.png             the 224x224 uint8 crop the PIL CLIP image processor makes of each input
  expected.safetensors     pixel values (subsampled, plus every level of the `levels` image), pooled outputs,
                           image embeddings and cosine similarities, for float32 and float16-rounded pixels
  expected.json            per image: nsfw flags and 3-decimal scores, as diffusers computes them and as the
                           runner's numpy 1.26 computes them (float64 arithmetic); rounding cases for np.round

Image processing uses transformers' PIL backend (`CLIPImageProcessorPil`): the runner pins transformers 4.43.3,
whose `CLIPImageProcessor` is the PIL one (transformers 5's `CLIPImageProcessor` is the torchvision one).
The runner casts pixel values to float16 before the float32 checker, hence the `_f16` outputs.

The concept embeddings are built from the images' own embeddings so that some images are flagged, one only
through the special-care adjustment, one has a positive raw score that rounds to 0.000, and the rest are clean;
the generator asserts that no score lies near a rounding boundary."""
import io
import json
import pathlib

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file, save_file
from transformers import CLIPConfig
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker

# openai/clip-vit-base-patch32's preprocessor_config.json, verbatim (legacy form: int sizes, no rescale keys).
PREPROCESSOR = {
    "crop_size": 224,
    "do_center_crop": True,
    "do_normalize": True,
    "do_resize": True,
    "feature_extractor_type": "CLIPFeatureExtractor",
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_std": [0.26862954, 0.26130258, 0.27577711],
    "resample": 3,
    "size": 224,
}

VISION = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4, image_size=224,
              patch_size=32, hidden_act="quick_gelu", layer_norm_eps=1e-5, num_channels=3)
TEXT = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=1, num_attention_heads=4)
PROJECTION = 16

# (width, height): tiny, thin, exact, one-pixel-off, odd, landscape, portrait, large.
SIZES = [(1, 1), (5, 300), (300, 5), (224, 224), (225, 224), (224, 225), (640, 480), (480, 640), (333, 777),
         (777, 333), (512, 512), (768, 512), (512, 768), (223, 223), (100, 100), (64, 48), (1000, 200),
         (17, 999), (448, 448), (230, 500), (256, 256), (7, 7)]

# Targets for the concept design (image indices into SIZES + the levels image, which comes last).
# Final scores (adjustment included) aimed at: special care → +0.01 on every later score of that image.
FLAGGED = 16          # special 0 at +0.03 (special care); special 1 at +0.004 (−0.006 before the +0.01 of the
                      # same loop); concept 0 at +0.02
ADJUSTED = 2          # special 2 at +0.01 (special care); concept 1 at +0.006: −0.004 before the adjustment
ROUNDS_TO_ZERO = 9    # concept 2 at +0.00025: positive, but np.round(·, 3) = 0.0 → not flagged
BARELY = 0            # concept 3 at +0.0008 → 0.001 → flagged


def make_image(rng, width, height):
    """Sinusoidal colour fields with a few flat rectangles and ellipses (sharp edges); small images get ±2 noise,
    large ones are posterised to multiples of 8 (smooth bands, so their PNGs stay small)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    image = np.zeros((height, width, 3))
    for c in range(3):
        fx, fy = rng.uniform(0.3, 4, 2)
        phase = rng.uniform(0, 6.3)
        image[..., c] = 128 + rng.uniform(40, 110) * np.sin(2 * np.pi * (fx * x / width + fy * y / height) + phase)
    for shape in range(int(rng.integers(2, 6))):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        rx, ry = rng.uniform(0.05, 0.4) * width + 0.5, rng.uniform(0.05, 0.4) * height + 0.5
        mask = (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 < 1) if shape % 2 else \
            (abs(x - cx) < rx) & (abs(y - cy) < ry)
        image[mask] = rng.uniform(0, 255, 3)
    if width * height <= 20_000:
        image += rng.integers(-2, 3, image.shape)
    elif width * height > 150_000:
        image = np.round(image / 8) * 8
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def levels_image():
    """224x224 whose first two rows hold every level 0…255 in each channel."""
    index = np.arange(224 * 224).reshape(224, 224)
    return np.stack([(index + 85 * c) % 256 for c in range(3)], axis=-1).astype(np.uint8)


def png_bytes(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def perturb(model, g):
    """Moves every vision parameter away from its initial value so norms, biases and embeddings matter."""
    with torch.no_grad():
        for name, p in model.vision_model.named_parameters():
            if name.endswith("weight") and p.dim() == 1:  # layer norm scales
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            else:
                p.add_(0.05 * torch.randn(p.shape, generator=g))
        model.visual_projection.weight.add_(0.05 * torch.randn(model.visual_projection.weight.shape, generator=g))
    return model.eval()


def normalized(rows):
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def design(embeds, g):
    """Concept and special-care embeddings with thresholds giving the outcomes listed above.

    Each designed concept is its target image's normalised embedding minus the mean of all of them (so the
    target stands out); its threshold puts the target's final score where wanted. Undesigned concepts are random
    directions with thresholds above every image's similarity."""
    e = normalized(embeds.astype(np.float64))
    centred = e - e.mean(axis=0)
    concept = torch.randn(17, PROJECTION, generator=g).double().numpy()
    special = torch.randn(3, PROJECTION, generator=g).double().numpy()
    # concept / special index → (target image, final score, adjustment in force when it is scored)
    concept_goal = {0: (FLAGGED, 0.02, 0.01), 1: (ADJUSTED, 0.006, 0.01), 2: (ROUNDS_TO_ZERO, 0.00025, 0.0),
                    3: (BARELY, 0.0008, 0.0)}
    special_goal = {0: (FLAGGED, 0.03, 0.0), 1: (FLAGGED, 0.004, 0.01), 2: (ADJUSTED, 0.01, 0.0)}
    for j, (target, _, _) in concept_goal.items():
        concept[j] = centred[target]
    for j, (target, _, _) in special_goal.items():
        special[j] = centred[target]
    special[1] += 0.5 * special[1] @ np.eye(PROJECTION)[::-1]  # not parallel to special 0
    concept, special = concept.astype(np.float32), special.astype(np.float32)

    def cosines(vectors):
        return normalized(embeds.astype(np.float64)) @ normalized(vectors.astype(np.float64)).T

    concept_cos, special_cos = cosines(concept), cosines(special)
    concept_thr = (concept_cos.max(axis=0) + 0.05).astype(np.float32)  # nobody reaches undesigned concepts
    special_thr = (special_cos.max(axis=0) + 0.05).astype(np.float32)
    for j, (target, score, adjustment) in concept_goal.items():
        concept_thr[j] = np.float32(concept_cos[target, j] - score + adjustment)
    for j, (target, score, adjustment) in special_goal.items():
        special_thr[j] = np.float32(special_cos[target, j] - score + adjustment)
    return concept, special, concept_thr, special_thr


def runner_scores(cos, thresholds, adjustment):
    """The runner's arithmetic (numpy 1.26): np.float32 − Python float is float64; round is np.round."""
    raw = np.float64(cos) - float(thresholds) + adjustment
    return float(raw), float(np.round(raw, 3))


def score_image(concept_cos, special_cos, concept_thr, special_thr):
    """diffusers' per-image loop in float64 (runner semantics); returns scores, raw scores and the flag."""
    adjustment = 0.0
    special_scores, special_raw = [], []
    for j in range(len(special_cos)):
        raw, rounded = runner_scores(special_cos[j], special_thr[j], adjustment)
        special_scores.append(rounded)
        special_raw.append(raw)
        if rounded > 0:
            adjustment = 0.01
    concept_scores, concept_raw = [], []
    for j in range(len(concept_cos)):
        raw, rounded = runner_scores(concept_cos[j], concept_thr[j], adjustment)
        concept_scores.append(rounded)
        concept_raw.append(raw)
    nsfw = any(s > 0 for s in concept_scores)
    return dict(concept_scores=concept_scores, special_scores=special_scores, nsfw=nsfw,
                special_care=adjustment > 0, concept_raw=concept_raw, special_raw=special_raw), \
        concept_raw + special_raw


def assert_clear_of_boundaries(raw_scores, label):
    """No raw score within 2e-5 of ±0.0005 (where 3-decimal rounding changes between 0 and ±0.001)."""
    raw = np.asarray(raw_scores)
    gap = np.min(np.abs(np.abs(raw) - 0.0005))
    assert gap > 2e-5, f"{label}: a score lies {gap} from a rounding boundary; change the design"


def diffusers_outputs(model, pixel_values):
    """Everything diffusers computes from `clip_input`, plus its own nsfw flags and rounded scores."""
    with torch.no_grad():
        pooled = model.vision_model(pixel_values)[1]
        embeds = model.visual_projection(pooled)
        from diffusers.pipelines.stable_diffusion.safety_checker import cosine_distance
        concept_cos = cosine_distance(embeds, model.concept_embeds)
        special_cos = cosine_distance(embeds, model.special_care_embeds)
        images = [np.zeros((2, 2, 3)) for _ in range(len(pixel_values))]
        _, flags = model(clip_input=pixel_values, images=images)
    return dict(pooled=pooled, embeds=embeds, concept_cos=concept_cos, special_cos=special_cos, flags=flags)


def reference_loop_scores(model, concept_cos, special_cos):
    """diffusers' own loop (numpy 2 here: float32 arithmetic), rounded scores per image."""
    result = []
    for i in range(len(concept_cos)):
        adjustment = 0.0
        special, concept = [], []
        for j in range(special_cos.shape[1]):
            s = round(special_cos[i][j] - model.special_care_embeds_weights[j].item() + adjustment, 3)
            special.append(float(s))
            if s > 0:
                adjustment = 0.01
        for j in range(concept_cos.shape[1]):
            concept.append(float(round(concept_cos[i][j] - model.concept_embeds_weights[j].item() + adjustment, 3)))
        result.append(dict(concept_scores=concept, special_scores=special))
    return result


def generate(out_dir: pathlib.Path):
    rng = np.random.default_rng(2024)
    g = torch.Generator().manual_seed(7)
    torch.manual_seed(0)  # module initialisation

    arrays = [make_image(rng, w, h) for (w, h) in SIZES] + [levels_image()]
    names = [f"{k:02d}_{a.shape[1]}x{a.shape[0]}" for k, a in enumerate(arrays)]
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    (out_dir / "crops").mkdir(parents=True, exist_ok=True)
    for name, array in zip(names, arrays):
        (out_dir / "images" / f"{name}.png").write_bytes(png_bytes(array))
    # Read back what was written, as the Swift side will.
    images = [Image.open(out_dir / "images" / f"{name}.png").convert("RGB") for name in names]

    processor = CLIPImageProcessorPil(**{k: v for k, v in PREPROCESSOR.items() if k != "feature_extractor_type"})
    crops = processor(images, do_rescale=False, do_normalize=False).pixel_values
    for k, crop in enumerate(crops):
        crop = np.asarray(crop)
        assert crop.dtype == np.uint8 and crop.shape == (3, 224, 224), (crop.dtype, crop.shape)
        (out_dir / "crops" / f"{k:02d}.png").write_bytes(png_bytes(np.moveaxis(crop, 0, -1)))
    pixel_values = processor(images, return_tensors="pt").pixel_values
    half_pixel_values = pixel_values.to(torch.float16).to(torch.float32)

    config = CLIPConfig(vision_config=VISION, text_config=TEXT, projection_dim=PROJECTION)
    model = perturb(StableDiffusionSafetyChecker(config), g)
    with torch.no_grad():
        embeds = model.visual_projection(model.vision_model(pixel_values)[1]).numpy()
        concept, special, concept_thr, special_thr = design(embeds, g)
        model.concept_embeds.copy_(torch.from_numpy(concept))
        model.special_care_embeds.copy_(torch.from_numpy(special))
        model.concept_embeds_weights.copy_(torch.from_numpy(concept_thr))
        model.special_care_embeds_weights.copy_(torch.from_numpy(special_thr))

    folder = out_dir / "checker"
    model.save_pretrained(folder)
    # transformers 5 writes `vision_model.*`; the Hub's checker has `vision_model.vision_model.*`: write that.
    state = load_file(folder / "model.safetensors")
    state = {("vision_model." + k if k.startswith("vision_model.") else k): v.contiguous() for k, v in state.items()}
    save_file(state, folder / "model.safetensors", metadata={"format": "pt"})
    (folder / "preprocessor_config.json").write_text(json.dumps(PREPROCESSOR, indent=2) + "\n")
    reloaded = StableDiffusionSafetyChecker.from_pretrained(folder).eval()
    for key, value in model.state_dict().items():
        assert torch.equal(value, reloaded.state_dict()[key]), f"{key} did not survive the Hub key layout"

    expected = {"pixel_values_sub": pixel_values[:, :, ::16, ::16],
                "pixel_values_levels": pixel_values[-1, :, :2, :]}
    summary = {"images": names, "preprocessor": PREPROCESSOR}
    for label, inputs in [("f32", pixel_values), ("f16", half_pixel_values)]:
        out = diffusers_outputs(reloaded, inputs)
        expected[f"pooled_{label}"] = out["pooled"]
        expected[f"image_embeds_{label}"] = out["embeds"]
        expected[f"concept_cos_{label}"] = out["concept_cos"]
        expected[f"special_cos_{label}"] = out["special_cos"]
        concept_cos = out["concept_cos"].numpy()
        special_cos = out["special_cos"].numpy()
        runner, raw = [], []
        for i in range(len(images)):
            scores, raws = score_image(concept_cos[i], special_cos[i], concept_thr, special_thr)
            runner.append(scores)
            raw += raws
        assert_clear_of_boundaries(raw, label)
        diffusers_scores = reference_loop_scores(reloaded, concept_cos, special_cos)
        assert [r["nsfw"] for r in runner] == list(out["flags"]), "runner and diffusers semantics disagree"
        summary[label] = {"nsfw": list(map(bool, out["flags"])), "runner": runner, "diffusers": diffusers_scores}
    flags = summary["f32"]["nsfw"]
    assert flags[FLAGGED] and flags[ADJUSTED] and flags[BARELY] and not flags[ROUNDS_TO_ZERO], flags
    assert summary["f32"]["runner"][ADJUSTED]["special_care"] and sum(flags) < len(flags) - 5, flags
    summary["concept_thresholds"] = [float(t) for t in concept_thr]
    summary["special_thresholds"] = [float(t) for t in special_thr]
    # np.round(x, 3) on float64 (numpy's rint(x·1000)/1000, not Python's correctly rounded round()).
    cases = [0.0005, 0.0015, 0.0025, -0.0005, -0.0025, 0.00049999, 0.0005001, 0.123456, -0.0004, 0.0, 1.0005]
    # transformers' center_crop where the crop is larger than the image (zero padding): 3x2 and 2x1 → 5x4.
    from transformers.image_transforms import center_crop
    for w, h in [(3, 2), (2, 1), (6, 3)]:
        small = (np.arange(h * w * 3).reshape(h, w, 3) + 1).astype(np.uint8)
        padded = center_crop(small, (4, 5), input_data_format="channels_last")
        summary.setdefault("padded_crops", []).append(
            {"width": w, "height": h, "pixels": small.flatten().tolist(), "crop": padded.flatten().tolist()})
    summary["numpy_round_cases"] = [[x, float(np.round(np.float64(x), 3))] for x in cases]
    save_file({k: v.contiguous().float() for k, v in expected.items()}, out_dir / "expected.safetensors")
    (out_dir / "expected.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(f"  nsfw (f32): {flags}")
