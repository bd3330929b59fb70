"""Image fixtures: PNGs of every colour type and bit depth, JPEGs of each sampling layout, broken files, and
resampling cases, each with the pixels Pillow produces for them (`Image.open(f).convert("RGB")`, `resize`).

Layout of Tests/Fixtures/images/:
    decode/<name>.png|.jpg   the encoded file
    decode/<name>.rgb        Pillow's RGB8 pixels, row-major interleaved
    resize/source.rgb        a seeded random RGB image
    resize/<name>.rgb        Pillow's resize of it
    broken/<name>            files every decoder must reject
    manifest.json            {"decode": [...], "resize": {...}, "broken": [...]}

PNGs are written by a small raw writer (zlib + the five row filters, optional Adam7 interlacing) so that every
colour type, bit depth and ancillary chunk appears, including those Pillow cannot write.
"""
import io
import json
import pathlib
import struct
import zlib

import numpy as np
from PIL import Image

SEED = 20240611
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type -> samples per pixel


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pack_row(samples: np.ndarray, depth: int) -> bytes:
    """One scanline's samples (1-D, already in channel order) as PNG bytes for the given bit depth."""
    if depth == 16:
        return samples.astype(">u2").tobytes()
    if depth == 8:
        return samples.astype(np.uint8).tobytes()
    per_byte = 8 // depth
    padded = np.zeros(-(-len(samples) // per_byte) * per_byte, dtype=np.uint8)
    padded[: len(samples)] = samples
    groups = padded.reshape(-1, per_byte)
    shifts = np.arange(per_byte - 1, -1, -1) * depth
    return (groups.astype(np.uint16) << shifts).sum(axis=1).astype(np.uint8).tobytes()


def paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_rows(rows, bpp: int, first_filter: int) -> bytes:
    """Filters each scanline with types 0..4 in turn, so decoders meet every filter."""
    out = bytearray()
    previous = bytes(len(rows[0])) if rows else b""
    for index, row in enumerate(rows):
        kind = (first_filter + index) % 5
        filtered = bytearray(len(row))
        for i, value in enumerate(row):
            left = row[i - bpp] if i >= bpp else 0
            up = previous[i]
            up_left = previous[i - bpp] if i >= bpp else 0
            predictor = [0, left, up, (left + up) // 2, paeth(left, up, up_left)][kind]
            filtered[i] = (value - predictor) & 0xFF
        out.append(kind)
        out += filtered
        previous = row
    return bytes(out)


def encode_png(pixels: np.ndarray, color_type: int, depth: int, interlace: bool = False,
               extra_chunks=(), palette: bytes | None = None, trns: bytes | None = None) -> bytes:
    """pixels: [H, W, samples] integer array in the file's sample range."""
    height, width = pixels.shape[:2]
    samples = CHANNELS[color_type]
    bpp = max(1, samples * depth // 8)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    raw = b""
    for x0, y0, dx, dy in passes:
        sub = pixels[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        rows = [pack_row(sub[y].reshape(-1), depth) for y in range(sub.shape[0])]
        raw += filter_rows(rows, bpp, first_filter=x0 + y0)
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 1 if interlace else 0)
    body = chunk(b"IHDR", ihdr)
    for kind, data in extra_chunks:
        body += chunk(kind, data)
    if palette is not None:
        body += chunk(b"PLTE", palette)
    if trns is not None:
        body += chunk(b"tRNS", trns)
    compressed = zlib.compress(raw, 9)
    half = len(compressed) // 2  # two IDAT chunks: decoders must concatenate them
    body += chunk(b"IDAT", compressed[:half]) + chunk(b"IDAT", compressed[half:])
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b"")


def pillow_rgb(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def png_cases(rng):
    """(name, png bytes) for every colour type / bit depth / tRNS / gamma / interlace combination."""
    def sample(shape, depth):
        return rng.integers(0, 1 << depth, size=shape, dtype=np.int64)

    def alpha16(shape):  # include fully transparent and fully opaque pixels
        a = sample(shape, 16)
        a.flat[::5] = 0
        a.flat[1::5] = 65535
        return a

    gamma_linear = (b"gAMA", struct.pack(">I", 100000))
    chrm = (b"cHRM", struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000))
    srgb = (b"sRGB", b"\x00")
    exif_rotate = (b"eXIf", b"MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00"
                   b"\x00\x00\x00\x00")
    cases = []
    for depth in (1, 2, 4, 8, 16):
        cases.append((f"gray{depth}", encode_png(sample((7, 13, 1), depth), 0, depth)))
    gray8 = sample((9, 5, 1), 8)
    gray8[0, 0, 0] = 77
    cases.append(("gray8_trns", encode_png(gray8, 0, 8, trns=struct.pack(">H", 77))))
    gray16 = sample((9, 5, 1), 16)
    gray16[:3, :, 0] = rng.integers(0, 256, size=(3, 5))  # Pillow keeps values below 256 and clips the rest
    cases.append(("gray16_trns", encode_png(gray16, 0, 16, trns=struct.pack(">H", int(gray16[1, 1, 0])))))
    cases.append(("gray_alpha8", encode_png(sample((7, 13, 2), 8), 4, 8)))
    la16 = np.concatenate([sample((7, 13, 1), 16), alpha16((7, 13, 1))], axis=2)
    cases.append(("gray_alpha16", encode_png(la16, 4, 16)))
    cases.append(("gray_alpha16_adam7", encode_png(la16, 4, 16, interlace=True)))
    cases.append(("rgb8", encode_png(sample((7, 13, 3), 8), 2, 8)))
    cases.append(("rgb16", encode_png(sample((7, 13, 3), 16), 2, 16)))
    rgb8 = sample((9, 5, 3), 8)
    cases.append(("rgb8_trns", encode_png(rgb8, 2, 8, trns=struct.pack(">3H", *map(int, rgb8[2, 2])))))
    rgb16 = sample((9, 5, 3), 16)
    cases.append(("rgb16_trns", encode_png(rgb16, 2, 16, trns=struct.pack(">3H", *map(int, rgb16[4, 1])))))
    rgba8 = sample((7, 13, 4), 8)
    rgba8[..., 3].flat[::4] = 0
    cases.append(("rgba8", encode_png(rgba8, 6, 8)))
    rgba16 = np.concatenate([sample((7, 13, 3), 16), alpha16((7, 13, 1))], axis=2)
    rgba16[0, :4, :3] = rgba16[0, :4, :3] // 257 * 257  # 8-bit values widened to 16 bits, as most tools write
    cases.append(("rgba16", encode_png(rgba16, 6, 16)))
    # Interlaced 16-bit RGBA is decoded from libpng's premultiplied samples (see PNGDecoder.readRGBA16), which
    # hold the colour to within one level only where alpha >= 129; fully transparent pixels lose it.
    visible = rgba16.copy()
    visible[..., 3] = np.maximum(visible[..., 3], 129)
    cases.append(("rgba16_adam7", encode_png(visible, 6, 16, interlace=True)))
    for depth in (1, 2, 4, 8):
        entries = min(1 << depth, 200)
        palette = rng.integers(0, 256, size=entries * 3, dtype=np.int64).astype(np.uint8).tobytes()
        indices = rng.integers(0, entries, size=(7, 13, 1), dtype=np.int64)
        cases.append((f"palette{depth}", encode_png(indices, 3, depth, palette=palette)))
    palette = rng.integers(0, 256, size=16 * 3, dtype=np.int64).astype(np.uint8).tobytes()
    indices = rng.integers(0, 16, size=(9, 5, 1), dtype=np.int64)
    trns = bytes([0, 128, 255, 7, 0])  # shorter than the palette: the rest are opaque
    cases.append(("palette4_trns", encode_png(indices, 3, 4, palette=palette, trns=trns)))
    cases.append(("palette8_trns_adam7", encode_png(indices, 3, 8, palette=palette, trns=trns, interlace=True)))
    cases.append(("gray2_adam7", encode_png(sample((9, 13, 1), 2), 0, 2, interlace=True)))
    cases.append(("gray16_adam7", encode_png(sample((9, 13, 1), 16) // 128, 0, 16, interlace=True)))
    cases.append(("rgb16_adam7", encode_png(sample((9, 13, 3), 16), 2, 16, interlace=True)))
    cases.append(("rgb8_adam7", encode_png(sample((9, 13, 3), 8), 2, 8, interlace=True)))
    cases.append(("rgb8_gamma_linear", encode_png(sample((7, 13, 3), 8), 2, 8, extra_chunks=[gamma_linear, chrm])))
    cases.append(("rgb16_gamma_linear", encode_png(sample((7, 13, 3), 16), 2, 16, extra_chunks=[gamma_linear])))
    cases.append(("rgba8_srgb", encode_png(sample((7, 13, 4), 8), 6, 8, extra_chunks=[srgb])))
    cases.append(("gray8_gamma_linear", encode_png(sample((7, 13, 1), 8), 0, 8, extra_chunks=[gamma_linear])))
    cases.append(("rgb8_exif_rotated", encode_png(sample((5, 9, 3), 8), 2, 8, extra_chunks=[exif_rotate])))
    # Pillow's own encoder: a 1×1 image and a wider photo-like gradient.
    for name, image in [("pillow_rgb_1x1", Image.new("RGB", (1, 1), (12, 200, 99))),
                        ("pillow_rgba", Image.fromarray(rng.integers(0, 256, (6, 11, 4), dtype=np.uint8), "RGBA"))]:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        cases.append((name, buffer.getvalue()))
    return cases


def jpeg_cases(rng):
    """(name, jpeg bytes): each chroma subsampling, grayscale, progressive, restart markers, CMYK."""
    height, width = 29, 37  # not a multiple of the MCU size: edge blocks are partial
    yy, xx = np.mgrid[0:height, 0:width]
    smooth = np.stack([xx * 255 / width, yy * 255 / height, (xx + yy) * 255 / (width + height)], axis=2)
    noisy = np.clip(smooth + rng.normal(0, 25, smooth.shape), 0, 255).astype(np.uint8)
    color = Image.fromarray(noisy, "RGB")
    rotated_exif = Image.Exif()
    rotated_exif[0x0112] = 6  # orientation "rotate 90° clockwise": Pillow's open() does not apply it
    cases = []
    for name, image, options in [
        ("jpeg_420", color, {"quality": 90, "subsampling": 2}),
        ("jpeg_422", color, {"quality": 85, "subsampling": 1}),
        ("jpeg_444", color, {"quality": 95, "subsampling": 0}),
        ("jpeg_progressive", color, {"quality": 80, "progressive": True}),
        ("jpeg_restart", color, {"quality": 75, "restart_marker_blocks": 2}),
        ("jpeg_gray", color.convert("L"), {"quality": 90}),
        ("jpeg_cmyk", color.convert("CMYK"), {"quality": 92}),
        ("jpeg_exif_rotated", color, {"quality": 90, "exif": rotated_exif.tobytes()}),
    ]:
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", **options)
        cases.append((name, buffer.getvalue()))
    restart = dict(cases)["jpeg_420"]
    huffman_table = restart.index(b"\xff\xc4")
    # libjpeg warns "3 extraneous bytes before marker 0xc4" and decodes the rest; Pillow accepts the file.
    cases.append(("jpeg_extraneous_bytes", restart[:huffman_table] + b"\x12\x34\x56" + restart[huffman_table:]))
    return cases


def broken_cases(png: bytes, jpeg: bytes):
    """(name, bytes, expected error kind) for files every decoder must reject."""
    idat = png.index(b"IDAT")
    bad_crc = bytearray(png)
    idat_length = struct.unpack(">I", png[idat - 4:idat])[0]
    # The first IDAT's data is intact, its stored CRC is not. Pillow skips IDAT CRCs and accepts the file;
    # libpng, and so the Swift decoder, refuses it (manifest: "pillow_accepts": true).
    bad_crc[idat + 4 + idat_length] ^= 0x55
    text = chunk(b"tEXt", b"Comment\x00fixture")
    bad_text = text[:-1] + bytes([text[-1] ^ 0x01])  # an ancillary chunk with a wrong CRC: Pillow refuses it
    bad_ancillary = png[:33] + bad_text + png[33:]
    huge = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
    zero = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 0, 5, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
    sof = jpeg.index(b"\xff\xc0")
    huge_jpeg = bytearray(jpeg)
    huge_jpeg[sof + 5:sof + 9] = struct.pack(">HH", 60000, 60000)  # height, width in the SOF0 header
    garbage_jpeg = jpeg[:20] + bytes(np.random.default_rng(SEED).integers(0, 256, 400, dtype=np.uint8))
    return [
        ("truncated.png", png[: len(png) * 2 // 3], "truncated"),
        ("bad_crc.png", bytes(bad_crc), "corrupt"),
        ("signature_only.png", png[:8], "truncated"),
        ("bad_ancillary_crc.png", bad_ancillary, "corrupt"),
        ("huge.png", huge, "tooLarge"),
        ("zero_width.png", zero, "zeroSize"),
        ("truncated.jpg", jpeg[: len(jpeg) // 2], "truncated"),
        ("garbage.jpg", garbage_jpeg, "corrupt"),
        ("huge.jpg", bytes(huge_jpeg), "tooLarge"),
        ("unknown.bin", b"GIF89a" + bytes(32), "unknownFormat"),
        ("empty.bin", b"", "unknownFormat"),
    ]


def resize_cases(rng, out: pathlib.Path):
    source = rng.integers(0, 256, size=(29, 37, 3), dtype=np.uint8)
    (out / "source.rgb").write_bytes(source.tobytes())
    image = Image.fromarray(source, "RGB")
    filters = {"lanczos": Image.Resampling.LANCZOS, "bicubic": Image.Resampling.BICUBIC,
               "bilinear": Image.Resampling.BILINEAR}
    # Pillow 13 runs the vertical pass first when the height shrinks by more than twice as many pixels as the
    # width: (50, 20) and (34, 21) do, (33, 21) is the tie that stays horizontal-first.
    sizes = [(16, 11), (7, 5), (64, 51), (37, 13), (20, 29), (40, 30), (1, 1), (3, 57), (50, 20), (34, 21),
             (33, 21)]
    cases = []
    for filter_name, method in filters.items():
        for width, height in sizes:
            name = f"{filter_name}_{width}x{height}"
            resized = image.resize((width, height), method)
            (out / f"{name}.rgb").write_bytes(np.asarray(resized).tobytes())
            cases.append({"name": name, "filter": filter_name, "width": width, "height": height})
    return {"source": {"width": 37, "height": 29}, "cases": cases}


def generate(out_dir: pathlib.Path):
    rng = np.random.default_rng(SEED)
    for sub in ("decode", "resize", "broken"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    decode = []
    encoded = png_cases(rng) + jpeg_cases(rng)
    for name, data in encoded:
        extension = "png" if data.startswith(b"\x89PNG") else "jpg"
        (out_dir / "decode" / f"{name}.{extension}").write_bytes(data)
        rgb = pillow_rgb(data)
        (out_dir / "decode" / f"{name}.rgb").write_bytes(np.asarray(rgb).tobytes())
        decode.append({"name": name, "file": f"{name}.{extension}", "width": rgb.width, "height": rgb.height,
                       "pillow_mode": Image.open(io.BytesIO(data)).mode})
    png = dict(encoded)["rgb8"]
    jpeg = dict(encoded)["jpeg_420"]
    broken = []
    for name, data, kind in broken_cases(png, jpeg):
        try:
            pillow_rgb(data)
            pillow_accepts = True
        except Exception:
            pillow_accepts = False
        (out_dir / "broken" / name).write_bytes(data)
        broken.append({"file": name, "error": kind, "pillow_accepts": pillow_accepts})
    resize = resize_cases(rng, out_dir / "resize")
    manifest = {"decode": decode, "resize": resize, "broken": broken}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
