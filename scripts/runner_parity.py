#!/usr/bin/env python3
"""Sends the same raw HTTP requests to two servers (the Livepeer runner and ours) and reports where their
answers differ: status, the headers a client reads, and the JSON body (image data URLs compared as decoded
pixels would need Pillow, so they are compared by structure, and by exact bytes with --exact-images).

Standard library only (Pillow for --pixels). Usage:
    scripts/runner_parity.py --runner http://127.0.0.1:8900 --ours http://127.0.0.1:8000 [--token T] [--show]
    scripts/runner_parity.py … --pixels      # also decode both servers' images and report max |difference|
A CPU runner draws from torch's CPU generator, so start ours with `--rng cpu` to compare pixels.
With --token, both servers must run with AUTH_TOKEN=T and every request carries it unless a case says otherwise;
the auth cases run only then.
"""

import argparse
import http.client
import json
import struct
import sys
import urllib.parse
import zlib

BOUNDARY = "parityboundary7d93"


def png(width: int, height: int) -> bytes:
    """A deterministic RGB gradient as an 8-bit PNG, written with zlib alone."""
    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in ((x * 255) // max(width - 1, 1), (y * 255) // max(height - 1, 1), 128))
        for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


IMAGE = png(32, 32)


def multipart(fields) -> bytes:
    """fields: list of (name, value) for text, or (name, (filename, content_type, bytes)) for files."""
    out = b""
    for name, value in fields:
        out += f"--{BOUNDARY}\r\n".encode()
        if isinstance(value, tuple):
            filename, content_type, data = value
            out += f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'.encode()
            out += f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n"
        else:
            out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode() + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def form(*extra, image=True, prompt="a cat", steps="2", seed="7", safety="false"):
    """A request with the small defaults used by every case, then `extra` fields."""
    fields = []
    if prompt is not None:
        fields.append(("prompt", prompt))
    if image:
        fields.append(("image", ("in.png", "image/png", IMAGE)))
    for name, value in (("num_inference_steps", steps), ("seed", seed), ("safety_check", safety)):
        if value is not None:
            fields.append((name, value))
    return list(fields) + list(extra)


MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"

# (name, method, path, content type, body fields or raw bytes, extra headers)
CASES = [
    ("health", "GET", "/health", None, None, {}),
    ("health slash", "GET", "/health/", None, None, {}),
    ("version", "GET", "/version", None, None, {}),
    ("hardware info", "GET", "/hardware/info", None, None, {}),
    ("hardware stats", "GET", "/hardware/stats", None, None, {}),
    ("unknown path", "GET", "/nope", None, None, {}),
    ("wrong method", "GET", "/image-to-image", None, None, {}),
    ("no body", "POST", "/image-to-image", None, b"", {}),
    ("json body", "POST", "/image-to-image", "application/json", b'{"prompt":"x"}', {}),
    ("broken multipart", "POST", "/image-to-image", MULTIPART, b"--" + BOUNDARY.encode() + b"\r\nnonsense", {}),
    ("success", "POST", "/image-to-image", MULTIPART, form(("strength", "0.5")), {}),
    ("trailing slash", "POST", "/image-to-image/", MULTIPART, form(("strength", "0.5")), {}),
    ("two images", "POST", "/image-to-image", MULTIPART, form(("strength", "0.5"), ("num_images_per_prompt", "2")), {}),
    ("zero images", "POST", "/image-to-image", MULTIPART, form(("num_images_per_prompt", "0")), {}),
    ("every field", "POST", "/image-to-image", MULTIPART,
     form(("model_id", "img2img/tiny-sd"), ("loras", ""), ("strength", "0.6"), ("guidance_scale", "3"),
          ("image_guidance_scale", "1.2"), ("negative_prompt", "blurry"), ("num_images_per_prompt", "1")), {}),
    ("steps 0 uses default", "POST", "/image-to-image", MULTIPART, form(("strength", "0.05"), steps="0"), {}),
    ("missing prompt", "POST", "/image-to-image", MULTIPART, form(prompt=None), {}),
    ("empty prompt", "POST", "/image-to-image", MULTIPART, form(prompt=""), {}),
    ("missing image", "POST", "/image-to-image", MULTIPART, form(image=False), {}),
    ("missing both", "POST", "/image-to-image", MULTIPART, form(image=False, prompt=None), {}),
    ("image as text", "POST", "/image-to-image", MULTIPART, form(("image", "notafile"), image=False), {}),
    ("prompt as file", "POST", "/image-to-image", MULTIPART,
     [("prompt", ("p.txt", "text/plain", b"a cat")), ("image", ("in.png", "image/png", IMAGE)), ("num_inference_steps", "2")], {}),
    ("strength not a number", "POST", "/image-to-image", MULTIPART, form(("strength", "abc")), {}),
    ("strength empty", "POST", "/image-to-image", MULTIPART, form(("strength", "")), {}),
    ("strength nan", "POST", "/image-to-image", MULTIPART, form(("strength", "nan")), {}),
    ("strength inf", "POST", "/image-to-image", MULTIPART, form(("strength", "inf")), {}),
    ("strength 1.5", "POST", "/image-to-image", MULTIPART, form(("strength", "1.5")), {}),
    ("strength -1", "POST", "/image-to-image", MULTIPART, form(("strength", "-1")), {}),
    ("strength 0", "POST", "/image-to-image", MULTIPART, form(("strength", "0")), {}),
    ("strength spaces", "POST", "/image-to-image", MULTIPART, form(("strength", " 0.5 ")), {}),
    ("strength 1_0", "POST", "/image-to-image", MULTIPART, form(("strength", "1_0")), {}),
    ("guidance not a number", "POST", "/image-to-image", MULTIPART, form(("guidance_scale", "lots")), {}),
    ("seed not an int", "POST", "/image-to-image", MULTIPART, form(seed="abc"), {}),
    ("seed float", "POST", "/image-to-image", MULTIPART, form(seed="1.5"), {}),
    ("seed float integral", "POST", "/image-to-image", MULTIPART, form(("strength", "0.5"), seed="3.0"), {}),
    ("seed negative", "POST", "/image-to-image", MULTIPART, form(seed="-1"), {}),
    ("seed huge", "POST", "/image-to-image", MULTIPART, form(seed="99999999999999999999"), {}),
    ("steps not an int", "POST", "/image-to-image", MULTIPART, form(steps="two"), {}),
    ("images not an int", "POST", "/image-to-image", MULTIPART, form(("num_images_per_prompt", "1.5")), {}),
    ("two bad numbers", "POST", "/image-to-image", MULTIPART, form(("strength", "x"), ("guidance_scale", "y"), seed="z"), {}),
    ("bool maybe", "POST", "/image-to-image", MULTIPART, form(safety="maybe"), {}),
    ("bool yes", "POST", "/image-to-image", MULTIPART, form(("strength", "0.5"), safety="no"), {}),
    ("bool 0", "POST", "/image-to-image", MULTIPART, form(("strength", "0.5"), safety="0"), {}),
    ("bool OFF", "POST", "/image-to-image", MULTIPART, form(("strength", "0.5"), safety="OFF"), {}),
    ("bool f", "POST", "/image-to-image", MULTIPART, form(("strength", "0.5"), safety="f"), {}),
    ("bool 2", "POST", "/image-to-image", MULTIPART, form(safety="2"), {}),
    ("model mismatch", "POST", "/image-to-image", MULTIPART, form(("model_id", "other/model")), {}),
    ("model mismatch and bad number", "POST", "/image-to-image", MULTIPART, form(("model_id", "other/model"), ("strength", "x")), {}),
    ("corrupt image", "POST", "/image-to-image", MULTIPART,
     [("prompt", "a cat"), ("image", ("in.png", "image/png", b"this is not an image")), ("num_inference_steps", "2")], {}),
    ("truncated png", "POST", "/image-to-image", MULTIPART,
     form(image=False) + [("image", ("in.png", "image/png", IMAGE[:60]))], {}),
    ("loras bad json", "POST", "/image-to-image", MULTIPART, form(("loras", "{nope")), {}),
    ("loras negative", "POST", "/image-to-image", MULTIPART, form(("loras", '{"a/b": -1}')), {}),
    ("loras not number", "POST", "/image-to-image", MULTIPART, form(("loras", '{"a/b": "x"}')), {}),
    ("loras too many", "POST", "/image-to-image", MULTIPART,
     form(("loras", '{"a/a": 1, "a/b": 1, "a/c": 1, "a/d": 1, "a/e": 1}')), {}),
    ("loras empty object", "POST", "/image-to-image", MULTIPART, form(("strength", "0.5"), ("loras", "{}")), {}),
    ("loras list", "POST", "/image-to-image", MULTIPART, form(("loras", "[1]")), {}),
    ("loras one", "POST", "/image-to-image", MULTIPART, form(("loras", '{"a/b": 0.5}')), {}),
    ("duplicate prompt", "POST", "/image-to-image", MULTIPART, form(("prompt", "second"), ("strength", "0.5")), {}),
    ("unknown field", "POST", "/image-to-image", MULTIPART, form(("strength", "0.5"), ("colour", "red")), {}),
]

AUTH_CASES = [
    ("auth missing", "POST", "/image-to-image", MULTIPART, form(("strength", "0.5")), {"Authorization": None}),
    ("auth wrong", "POST", "/image-to-image", MULTIPART, form(("strength", "0.5")), {"Authorization": "Bearer wrong"}),
    ("auth basic", "POST", "/image-to-image", MULTIPART, form(("strength", "0.5")), {"Authorization": "Basic abc"}),
    ("auth no credentials", "POST", "/image-to-image", MULTIPART, form(("strength", "0.5")), {"Authorization": "Bearer"}),
    ("auth lowercase scheme", "POST", "/image-to-image", MULTIPART, form(("strength", "0.5")), {"Authorization": "bearer {token}"}),
    ("auth missing and missing prompt", "POST", "/image-to-image", MULTIPART, form(prompt=None), {"Authorization": None}),
    ("auth missing and model mismatch", "POST", "/image-to-image", MULTIPART, form(("model_id", "x/y")), {"Authorization": None}),
    ("auth health", "GET", "/health", None, None, {"Authorization": None}),
]

READ_HEADERS = ["content-type", "www-authenticate", "allow"]


def send(base: str, method: str, path: str, content_type, body, headers, token):
    url = urllib.parse.urlparse(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
    payload = body if isinstance(body, (bytes, type(None))) else multipart(body)
    sent = {}
    if content_type:
        sent["Content-Type"] = content_type
    if token:
        sent["Authorization"] = f"Bearer {token}"
    for name, value in headers.items():
        if value is None:
            sent.pop(name, None)
        else:
            sent[name] = value.replace("{token}", token or "")
    connection.request(method, path, body=payload, headers=sent)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, {h: response.getheader(h) for h in READ_HEADERS}, data


def pixel_difference(runner_body: bytes, ours_body: bytes):
    """max |a − b| over the decoded images of two {"images": […]} answers, or None when not comparable."""
    import base64
    import io
    from PIL import Image  # only needed for --pixels
    try:
        a, b = json.loads(runner_body)["images"], json.loads(ours_body)["images"]
    except (ValueError, KeyError, TypeError):
        return None
    if len(a) != len(b) or not a:
        return None
    worst = 0
    for x, y in zip(a, b):
        images = [Image.open(io.BytesIO(base64.b64decode(i["url"].split(",", 1)[1]))).convert("RGB") for i in (x, y)]
        if images[0].size != images[1].size:
            return float("inf")
        worst = max(worst, max(abs(p - q) for p, q in zip(images[0].tobytes(), images[1].tobytes())))
    return worst


def normalise(data: bytes, exact_images: bool):
    """The JSON body with image URLs reduced to their prefix (unless compared exactly)."""
    try:
        body = json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace")
    if isinstance(body, dict) and isinstance(body.get("images"), list) and not exact_images:
        for image in body["images"]:
            if isinstance(image, dict) and isinstance(image.get("url"), str):
                image["url"] = image["url"][:22] + "…"
    return body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runner", required=True)
    parser.add_argument("--ours", required=True)
    parser.add_argument("--token")
    parser.add_argument("--only", help="run only cases whose name contains this")
    parser.add_argument("--show", action="store_true", help="print every answer, not only differences")
    parser.add_argument("--exact-images", action="store_true", help="compare image data URLs byte for byte")
    parser.add_argument("--pixels", action="store_true", help="decode both answers' images and print max |difference|")
    args = parser.parse_args()
    cases = AUTH_CASES if args.token else CASES
    differences = 0
    for name, method, path, content_type, body, headers in cases:
        if args.only and args.only not in name:
            continue
        answers, raw = [], []
        for base in (args.runner, args.ours):
            status, read, data = send(base, method, path, content_type, body, headers, args.token)
            answers.append((status, read, normalise(data, args.exact_images)))
            raw.append(data)
        if args.pixels:
            difference = pixel_difference(*raw)
            if difference is not None:
                print(f"PIXELS  {name}: max |runner − ours| = {difference}")
        same = answers[0] == answers[1]
        differences += not same
        if args.show or not same:
            print(f"{'SAME' if same else 'DIFF'}  {name}")
            for label, (status, read, body) in zip(("runner", "ours"), answers):
                shown = {k: v for k, v in read.items() if v is not None}
                print(f"  {label:6} {status} {shown} {json.dumps(body, ensure_ascii=False)[:600]}")
        else:
            print(f"SAME  {name}")
    print(f"{differences} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
