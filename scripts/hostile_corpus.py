"""Hostile requests for `img2img serve` and the raw-socket exchange that sends them (load_test.py's soak).

The corpus is runner_parity's request cases (bad fields, numbers, images, LoRAs, auth) as raw HTTP, plus what a
client library would never send: malformed request lines, headers and multipart framing, lying or huge
Content-Lengths, truncated and pipelined requests, forged image headers, oversized prompts and fields.
Standard library only.
"""

import socket
import struct
import time
import zlib
from dataclasses import dataclass, field
from typing import Callable

from runner_parity import AUTH_CASES, BOUNDARY, CASES, MULTIPART, multipart, png

TOKEN = "soak-token"
HOST = b"Host: 127.0.0.1\r\n"


@dataclass
class Outcome:
    """What came back: the status of each answer, then how the exchange ended."""
    statuses: list = field(default_factory=list)
    ending: str = "answered"  # answered (all expected answers), closed (EOF), reset, hung (timeout)
    body: bytes = b""
    seconds: float = 0.0

    def describe(self) -> str:
        answers = "+".join(str(s) for s in self.statuses) or "no answer"
        return f"{answers}, {self.ending} after {self.seconds:.1f} s"


def answered_or_closed(outcome: Outcome) -> bool:
    """What every hostile request must get: an answer other than 500, or a clean close, before its timeout."""
    return outcome.ending != "hung" and 500 not in outcome.statuses


@dataclass
class Case:
    name: str
    payload: bytes
    timeout: float = 30.0
    responses: int = 1  # answers to wait for (pipelined requests)
    half_close: bool = False  # shut our side after sending (the server sees EOF)
    expect: Callable[[Outcome], bool] = answered_or_closed

    def verdict(self, outcome: Outcome) -> str:
        """ok or FAIL."""
        return "ok" if self.expect(outcome) else "FAIL"


def request_bytes(method: str, path: str, headers=(), body: bytes = b"", length=True, version="HTTP/1.1",
                  token=True) -> bytes:
    """One raw request; `length`: True for the real Content-Length, a value to lie, False for none."""
    head = f"{method} {path} {version}\r\n".encode() + HOST
    if token:
        head += f"Authorization: Bearer {TOKEN}\r\n".encode()
    if length is not False:
        head += f"Content-Length: {len(body) if length is True else length}\r\n".encode()
    for name, value in headers:
        head += name.encode() + b": " + (value if isinstance(value, bytes) else value.encode()) + b"\r\n"
    return head + b"\r\n" + body


def post_form(fields, headers=(), **options) -> bytes:
    return request_bytes("POST", "/image-to-image", [("Content-Type", MULTIPART)] + list(headers), multipart(fields),
                         **options)


def valid_fields(size=32, steps=2, seed=7, prompt="a cat", extra=()):
    return [("prompt", prompt), ("image", ("in.png", "image/png", png(size, size))), ("num_inference_steps", str(steps)),
            ("seed", str(seed)), ("strength", "0.5"), ("safety_check", "false")] + list(extra)


def valid_request(size=64, steps=2, seed=7) -> bytes:
    return post_form(valid_fields(size, steps, seed), [("Connection", "close")])


def forged_png(width: int, height: int, bit_depth=8, colour_type=2, rows: bytes = b"") -> bytes:
    """A PNG whose header says width × height, with `rows` (possibly far too few) as its data."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def with_image(data: bytes, filename="in.png", content_type="image/png"):
    return valid_fields()[:1] + [("image", (filename, content_type, data))] + valid_fields()[2:]


def parity_cases():
    """runner_parity's cases, each with the token (auth cases override it) and Connection: close."""
    for name, method, path, content_type, body, headers in CASES + AUTH_CASES:
        sent = {"Content-Type": content_type} if content_type else {}
        sent["Authorization"] = f"Bearer {TOKEN}"
        for header, value in headers.items():
            if value is None:
                sent.pop(header, None)
            else:
                sent[header] = value.replace("{token}", TOKEN)
        sent["Connection"] = "close"
        payload = body if isinstance(body, (bytes, type(None))) else multipart(body)
        yield Case("parity: " + name, request_bytes(method, path, list(sent.items()), payload or b"",
                                                    length=payload is not None, token=False))


def raw_cases():
    form = multipart(valid_fields())
    close = [("Connection", "close")]
    kind = [("Content-Type", MULTIPART)]
    boundary = BOUNDARY.encode()
    yield Case("garbage request line", b"HELLO\r\n\r\n")
    yield Case("binary junk", bytes(range(256)) * 8 + b"\r\n\r\n")
    yield Case("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    yield Case("unknown method", request_bytes("BREW", "/health", close))
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        yield Case(f"{method} /image-to-image", request_bytes(method, "/image-to-image", close, b"x"))
    yield Case("POST /health", request_bytes("POST", "/health", close, b"{}"))
    yield Case("HEAD /health (answer has no body)", request_bytes("HEAD", "/health", close, length=False), half_close=True)
    yield Case("HTTP/1.0 health", request_bytes("GET", "/health", version="HTTP/1.0", length=False))
    yield Case("no Host header", b"GET /health HTTP/1.1\r\nConnection: close\r\n\r\n")
    yield Case("header without colon", b"GET /health HTTP/1.1\r\n" + HOST + b"Broken header\r\nConnection: close\r\n\r\n")
    yield Case("64 KiB header value", request_bytes("GET", "/health", close + [("X-Long", "a" * 65536)], length=False))
    yield Case("1000 headers", request_bytes("GET", "/health", close + [(f"X-{i}", "v") for i in range(1000)], length=False))
    yield Case("100 KiB path", request_bytes("GET", "/" + "a" * 102400, close, length=False))
    for path in ("/%ZZ", "/health?x=%", "//health", "/image-to-image/../health", "http://127.0.0.1/health", "*"):
        yield Case(f"odd path {path}", request_bytes("GET", path, close, length=False))
    yield Case("truncated headers, then EOF", b"POST /image-to-image HTTP/1.1\r\n" + HOST + b"Content-Le", half_close=True)
    yield Case("half the body, then EOF", post_form(valid_fields())[:-len(form) // 2], half_close=True)
    yield Case("Content-Length too small (rest pipelined)", request_bytes("POST", "/image-to-image", kind, form,
                                                                           length=len(form) // 2), responses=2,
               half_close=True)
    yield Case("Content-Length negative", request_bytes("POST", "/image-to-image", kind + close, form, length=-1))
    yield Case("Content-Length not a number", request_bytes("POST", "/image-to-image", kind + close, form, length="12abc"))
    yield Case("two different Content-Lengths", request_bytes("POST", "/image-to-image", kind + close +
                                                              [("Content-Length", "5")], form))
    yield Case("chunked and Content-Length", request_bytes("POST", "/image-to-image", kind + close +
                                                           [("Transfer-Encoding", "chunked")], form))
    yield Case("bad chunk size", request_bytes("POST", "/image-to-image", kind + close + [("Transfer-Encoding", "chunked")],
                                               b"zz\r\nhello\r\n0\r\n\r\n", length=False))
    chunked = b"".join(f"{len(form[i:i + 4096]):x}\r\n".encode() + form[i:i + 4096] + b"\r\n"
                       for i in range(0, len(form), 4096)) + b"0\r\n\r\n"
    yield Case("valid chunked body", request_bytes("POST", "/image-to-image", kind + close +
                                                   [("Transfer-Encoding", "chunked")], chunked, length=False))
    yield Case("huge Content-Length, body never sent", request_bytes("POST", "/image-to-image", kind, b"--x",
                                                                     length=10 ** 12), timeout=5)
    yield Case("huge Content-Length, then EOF", request_bytes("POST", "/image-to-image", kind, b"--x", length=10 ** 12),
               half_close=True)
    over = 10 * 1024 * 1024 + 256 * 1024 + 1  # the default --max-upload-bytes plus the form allowance, plus one
    yield Case("body one byte over the limit", post_form(with_image(b"\0" * over), close))
    yield Case("Expect: 100-continue", post_form(valid_fields(), close + [("Expect", "100-continue")]))
    yield Case("two pipelined health checks", request_bytes("GET", "/health", length=False) * 2, responses=2,
               half_close=True)
    # The image route answers `Connection: close` (it watches the inbound stream for a disconnect), so a request
    # pipelined behind a POST goes unanswered, and the connection closes.
    yield Case("POST keep-alive: answered, then closed", post_form(valid_fields()), responses=2, timeout=10,
               expect=lambda outcome: outcome.statuses == [200] and outcome.ending == "closed")
    yield Case("request pipelined after a POST", post_form(valid_fields()) + request_bytes("GET", "/health", close,
                                                                                           length=False),
               responses=2, timeout=5,
               expect=lambda outcome: outcome.statuses[:1] == [200] and outcome.ending in ("answered", "closed"))
    yield Case("request pipelined after Connection: close", request_bytes("GET", "/health", close, length=False)
               + request_bytes("POST", "/image-to-image", kind, form), responses=2, timeout=5,
               expect=lambda outcome: outcome.statuses == [200] and outcome.ending == "closed")
    yield Case("multipart without boundary", request_bytes("POST", "/image-to-image", close +
                                                           [("Content-Type", "multipart/form-data")], form))
    yield Case("boundary mismatch", request_bytes("POST", "/image-to-image", close +
                                                  [("Content-Type", "multipart/form-data; boundary=other")], form))
    yield Case("no closing boundary", request_bytes("POST", "/image-to-image", kind + close,
                                                    form[:-len(boundary) - 6]))
    yield Case("part without Content-Disposition", request_bytes("POST", "/image-to-image", kind + close,
                                                                 b"--" + boundary + b"\r\n\r\nvalue\r\n" + form))
    yield Case("10000 empty parts", request_bytes("POST", "/image-to-image", kind + close, b"".join(
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="x"\r\n\r\n\r\n' for _ in range(10000)) + form))
    not_utf8 = multipart(valid_fields(prompt="NOT-UTF8")).replace(b"NOT-UTF8", b"\xff\xfe\xfd")
    yield Case("prompt not UTF-8", request_bytes("POST", "/image-to-image", kind + close, not_utf8))
    yield Case("prompt with NUL", post_form(valid_fields(prompt="a\0cat"), close))
    yield Case("prompt over --max-prompt-chars", post_form(valid_fields(prompt="cat " * 2501), close))
    yield Case("prompt at the limit (10000 chars)", post_form(valid_fields(prompt="cat " * 2500), close))
    yield Case("prompt of combining marks", post_form(valid_fields(prompt="e" + "\u0301" * 5000), close))
    for name, value in (("num_inference_steps", "1001"), ("num_inference_steps", "-5"), ("num_inference_steps", "1e30"),
                        ("num_images_per_prompt", "17"), ("strength", "1e-320"), ("guidance_scale", "-1e308"),
                        ("seed", str(2 ** 64)), ("seed", str(-2 ** 63)), ("guidance_scale", "0x10")):
        yield Case(f"{name}={value}", post_form(valid_fields(extra=[(name, value)]), close))
    yield Case("PNG header 65535x65535", post_form(with_image(forged_png(65535, 65535)), close))
    yield Case("PNG of zeros just over --max-pixels", post_form(with_image(forged_png(
        2049, 2048, rows=b"\0" * (2048 * (1 + 3 * 2049)))), close))
    yield Case("PNG 0x0", post_form(with_image(forged_png(0, 0)), close))
    yield Case("PNG rows missing", post_form(with_image(forged_png(64, 64, rows=b"\0" * 100)), close))
    yield Case("PNG 16-bit RGBA header, 8-bit data", post_form(with_image(forged_png(32, 32, 16, 6, png(32, 32)[:100])),
                                                               close))
    yield Case("PNG palette without PLTE", post_form(with_image(forged_png(8, 8, 8, 3, b"\0" * 72)), close))
    yield Case("PNG with a bad CRC", post_form(with_image(png(32, 32)[:-5] + b"\0\0\0\0\0"), close))
    yield Case("JPEG SOI only", post_form(with_image(b"\xff\xd8\xff", "in.jpg", "image/jpeg"), close))
    yield Case("JPEG header then junk", post_form(with_image(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4, "in.jpg",
                                                             "image/jpeg"), close))
    yield Case("GIF", post_form(with_image(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "in.gif", "image/gif"), close))
    yield Case("empty image file", post_form(with_image(b""), close))
    yield Case("loras nested 10000 deep", post_form(valid_fields(extra=[("loras", "[" * 10000)]), close))
    yield Case("loras strength 1e400", post_form(valid_fields(extra=[("loras", '{"a/b": 1e400}')]), close))
    for lora in ("../../etc", "/etc/passwd", "a/../../b"):
        yield Case(f"lora id {lora}", post_form(valid_fields(extra=[("loras", '{"%s": 0.5}' % lora)]), close))
    yield Case("model_id ../../../etc", post_form(valid_fields(extra=[("model_id", "../../../etc")]), close))


def corpus():
    yield from parity_cases()
    yield from raw_cases()


def exchange(port: int, payload: bytes, timeout: float, responses: int = 1, half_close: bool = False) -> Outcome:
    """Sends `payload` on a new connection and reads up to `responses` answers within `timeout` seconds."""
    outcome, started = Outcome(), time.monotonic()
    deadline = started + timeout
    buffer = b""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
            try:
                connection.sendall(payload)
                if half_close:
                    connection.shutdown(socket.SHUT_WR)
            except (BrokenPipeError, ConnectionResetError, OSError):
                pass  # the server answered (or gave up) before reading everything: read what it said
            while len(outcome.statuses) < responses:
                parsed = parse_response(buffer, head_only=payload.startswith(b"HEAD "))
                if parsed:
                    status, body, buffer = parsed
                    if status >= 200:
                        outcome.statuses.append(status)
                        outcome.body = body
                    continue
                connection.settimeout(max(0.01, deadline - time.monotonic()))
                data = connection.recv(1 << 16)
                if not data:
                    if buffer.startswith(b"HTTP/") and b"\r\n\r\n" in buffer:  # a body that ended with the connection
                        outcome.statuses.append(int(buffer.split()[1]))
                    outcome.ending = "closed"
                    break
                buffer += data
    except socket.timeout:
        outcome.ending = "hung"
    except ConnectionResetError:
        outcome.ending = "reset"
    outcome.seconds = time.monotonic() - started
    return outcome


def parse_response(buffer: bytes, head_only: bool):
    """(status, body, rest) when `buffer` starts with a whole response, else None."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = buffer[:end].split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    rest = buffer[end + 4:]
    if head_only or status < 200 or status in (204, 304):
        return status, b"", rest
    if b"content-length" in headers:
        length = int(headers[b"content-length"])
        return (status, rest[:length], rest[length:]) if len(rest) >= length else None
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        body, position = b"", 0
        while True:
            line_end = rest.find(b"\r\n", position)
            if line_end < 0:
                return None
            size = int(rest[position:line_end].split(b";")[0], 16)
            if size == 0:
                trailer_end = rest.find(b"\r\n\r\n", line_end)
                return (status, body, rest[trailer_end + 4:]) if trailer_end >= 0 else None
            if len(rest) < line_end + 2 + size + 2:
                return None
            body += rest[line_end + 2:line_end + 2 + size]
            position = line_end + 2 + size + 2
    return None  # a body that ends with the connection: wait for the close
