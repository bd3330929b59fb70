#!/usr/bin/env python3
"""The playground page in a real browser: headless Chromium (Debian's `chromium`) driven over the DevTools protocol
against `img2img serve` on the bundled model, with a bearer token set. As a person would: load the page, submit
without the token and read the 401 message, type the token, upload a file that is no image and read the server's
400 message, upload a PNG and submit, watch the progress and at least one step preview, see the result and its
seed, the trace table, then a second seed and the compare view's heat-map. A JavaScript exception or a console
error fails it. Saves a screenshot (a CI artifact, not committed). Python's standard library only: the protocol is
JSON over one WebSocket, and the client for it is below.

    python3 scripts/browser_test.py --binary .build/release/img2img [--artifacts DIR] [--screenshot FILE]
"""

import argparse
import base64
import http.client
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

TOKEN = "browser-test-token"
SEED = 1234


class WebSocket:
    """A minimal RFC 6455 client: text frames out (masked), text frames in, enough for the DevTools protocol."""

    def __init__(self, url):
        match = re.match(r"ws://([^/:]+):(\d+)(/.*)", url)
        if not match:
            raise ValueError(f"not a ws:// URL: {url}")
        host, port, path = match.group(1), int(match.group(2)), match.group(3)
        self.sock = socket.create_connection((host, port), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("the browser closed the WebSocket handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise ConnectionError(f"WebSocket handshake refused: {head!r}")

    def send(self, text):
        payload = text.encode()
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack(">H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", len(payload))
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _exactly(self, count):
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("the browser closed the WebSocket")
            data += chunk
        return data

    def receive(self):
        """The next whole text message (fragments joined; pings answered)."""
        message = b""
        while True:
            first, second = self._exactly(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._exactly(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._exactly(8))[0]
            payload = self._exactly(length)
            opcode = first & 0x0F
            if opcode == 0x9:  # ping → pong
                self.sock.sendall(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
                continue
            if opcode == 0x8:
                raise ConnectionError("the browser closed the WebSocket")
            message += payload
            if first & 0x80:
                return message.decode()


class Browser:
    """Headless Chromium with one page, spoken to over the DevTools protocol."""

    def __init__(self, chromium, workdir):
        self.profile = os.path.join(workdir, "profile")
        self.process = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
             "--remote-debugging-port=0", f"--user-data-dir={self.profile}", "--window-size=1280,1000",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port = self._devtools_port()
        targets = json.loads(self._http_get(port, "/json/list"))
        page = next(t for t in targets if t["type"] == "page")
        self.ws = WebSocket(page["webSocketDebuggerUrl"])
        self.next_id = 0
        self.events = []
        for domain in ("Page", "Runtime", "Log", "DOM"):
            self.call(f"{domain}.enable")

    def _devtools_port(self):
        path = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.process.returncode} before listening")
            if os.path.exists(path):
                with open(path) as file:
                    lines = file.read().split()
                if lines:
                    return int(lines[0])
            time.sleep(0.1)
        raise RuntimeError("chromium did not open its DevTools port within 30 s")

    @staticmethod
    def _http_get(port, path):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", path)
        return connection.getresponse().read()

    def call(self, method, **params):
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.receive())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, what, timeout=60):
        """Polls `expression` until it is truthy; returns its value."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}; page: {self.page_summary()}")

    def page_summary(self):
        return self.evaluate("""JSON.stringify({state: document.body.dataset.state,
            error: document.getElementById('error').textContent,
            progress: document.getElementById('progress-text').textContent,
            accounting: document.getElementById('accounting').textContent})""")

    def navigate(self, url):
        self.call("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete' && document.body.dataset.state !== 'loading'",
                      "the page to load")

    def click(self, selector):
        box = self.evaluate(f"""(() => {{ const e = document.querySelector({json.dumps(selector)});
            e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect();
            return [r.x + r.width / 2, r.y + r.height / 2]; }})()""")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def type_into(self, selector, text):
        """Focuses the field, clears it and types `text` as keyboard input."""
        self.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.focus(); e.select(); }})()")
        self.call("Input.insertText", text=text)

    def set_file(self, selector, path):
        root = self.call("DOM.getDocument")["root"]["nodeId"]
        node = self.call("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
        self.call("DOM.setFileInputFiles", nodeId=node, files=[path])

    def screenshot(self, path, scale=1.0):
        """The whole page (up to 4000 px high) as PNG, scaled by `scale`."""
        height = min(self.evaluate("Math.ceil(document.documentElement.scrollHeight)"), 4000)
        self.call("Emulation.setDeviceMetricsOverride", width=1280, height=height, deviceScaleFactor=1, mobile=False)
        data = self.call("Page.captureScreenshot", format="png",
                         clip={"x": 0, "y": 0, "width": 1280, "height": height, "scale": scale})["data"]
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb") as file:
            file.write(base64.b64decode(data))

    def problems(self):
        """JavaScript exceptions and console errors (failed-status network lines excepted: 400 and 401 are expected)."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(params["exceptionDetails"].get("exception", {}).get("description")
                             or params["exceptionDetails"].get("text"))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error" \
                    and params["entry"].get("source") != "network":
                found.append(params["entry"]["text"])
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append(" ".join(str(a.get("value", a.get("description"))) for a in params.get("args", [])))
        return found

    def close(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Server:
    """`img2img serve` on a free loopback port with the bundled model and a bearer token."""

    def __init__(self, binary):
        environment = dict(os.environ, AUTH_TOKEN=TOKEN)
        self.process = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", "0"],
                                        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=environment, text=True)
        self.log = []
        found = threading.Event()
        self.port = None

        def read():
            for line in self.process.stderr:
                self.log.append(line)
                match = re.search(r"listening on [^ ]*:(\d+)", line)
                if match and self.port is None:
                    self.port = int(match.group(1))
                    found.set()
        threading.Thread(target=read, daemon=True).start()
        if not found.wait(60):
            raise RuntimeError("img2img serve did not listen within 60 s:\n" + "".join(self.log))
        deadline = time.time() + 120
        while self.get("/health") != '{"status":"OK"}':
            if time.time() > deadline:
                raise RuntimeError("the model did not load within 120 s:\n" + "".join(self.log))
            time.sleep(0.2)

    def get(self, path):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request("GET", path)
        return connection.getresponse().read().decode()

    def close(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def gradient_png(path, size=64):
    """A size × size RGB gradient as PNG (zlib and struct: no imaging library needed)."""
    rows = b"".join(b"\0" + bytes(v for x in range(size) for v in (x * 4, y * 4, 160)) for y in range(size))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    with open(path, "wb") as file:
        file.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
                   + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def run(browser, base, workdir):
    passed = []

    def step(name):
        passed.append(name)
        print(f"  ok  {name}", flush=True)

    image, not_image = os.path.join(workdir, "gradient.png"), os.path.join(workdir, "notes.png")
    gradient_png(image)
    with open(not_image, "w") as file:
        file.write("this is text, not an image\n")

    browser.navigate(base + "/")
    check(browser.evaluate("!document.getElementById('token-box').hidden"), "the token field is not offered")
    defaults = browser.evaluate("""[document.getElementById('strength').value,
        document.getElementById('num_inference_steps').value, document.getElementById('guidance_scale').value,
        document.getElementById('safety_check').checked, document.getElementById('num_inference_steps').max]""")
    check(defaults[:4] == ["0.8", "100", "7.5", True], f"the API's defaults are not offered: {defaults}")
    check(defaults[4] == "1000", f"the server's step limit is not applied: {defaults}")
    step("page loads with the API's defaults and the server's limits")

    # Without the token: the server's 401 message in the page.
    browser.set_file("#image", image)
    browser.type_into("#prompt", "a lighthouse at dusk")
    browser.click("#submit")
    message = browser.wait_for("!document.getElementById('error').hidden && document.getElementById('error').textContent",
                               "the 401 message")
    check("Invalid bearer token" in message, f"unexpected message without a token: {message!r}")
    step(f"no token → {message!r}")

    browser.type_into("#token", TOKEN)
    check(browser.evaluate(f"sessionStorage.getItem('img2img.token') === {json.dumps(TOKEN)}"),
          "the token is not kept in session storage")

    # A file that is no image: the server's 400 message.
    browser.set_file("#image", not_image)
    browser.click("#submit")
    message = browser.wait_for("document.getElementById('error').dataset.status === '400' "
                               "&& document.getElementById('error').textContent", "the 400 message")
    check("Could not read the uploaded image" in message, f"unexpected message for a bad upload: {message!r}")
    step(f"bad upload → {message!r}")

    # A real run: progress, previews, result with its seed, the trace.
    browser.set_file("#image", image)
    for selector, value in (("#num_inference_steps", "20"), ("#strength", "0.5"), ("#seed", str(SEED)),
                            ("#num_images_per_prompt", "1")):
        browser.type_into(selector, value)
    started = time.time()
    browser.click("#submit")
    browser.wait_for("document.body.dataset.state === 'done'", "the run to finish", timeout=90)
    summary = browser.evaluate("""JSON.stringify({
        accounting: document.getElementById('accounting').textContent,
        done: document.getElementById('progress').dataset.done, total: document.getElementById('progress').dataset.total,
        progress: document.getElementById('progress-text').textContent,
        previews: Number(document.getElementById('preview').dataset.count || 0),
        preview: document.getElementById('preview').src.slice(0, 22),
        seeds: [...document.querySelectorAll('#result-list .seed')].map(e => e.textContent),
        width: document.querySelector('#result-list img')?.naturalWidth,
        download: document.querySelector('#result-list a[download]')?.getAttribute('download'),
        trace: [...document.querySelectorAll('#trace-table tbody tr')].map(r => r.cells[0].textContent),
        error: document.getElementById('error').hidden ? '' : document.getElementById('error').textContent})""")
    result = json.loads(summary)
    check(result["error"] == "", f"the run showed an error: {result['error']!r}")
    check("strength 0.5 × 20 steps → 10 steps" in result["accounting"], f"no step accounting: {result['accounting']!r}")
    check(result["done"] and result["done"] == result["total"], f"the progress did not reach the end: {result}")
    check(re.search(r"(step|UNet call) \d+/\d+", result["progress"]), f"no step count in the progress: {result['progress']!r}")
    step(f"progress {result['done']}/{result['total']}: {result['progress']!r}; {result['accounting']!r}")
    check(result["previews"] >= 1 and result["preview"] == "data:image/png;base64,", f"no step preview shown: {result}")
    step(f"{result['previews']} step previews shown")
    check(result["seeds"] == [f"seed {SEED}"] and result["width"], f"the result or its seed is missing: {result}")
    check(result["download"] == f"img2img-seed-{SEED}.png", f"no download link: {result}")
    step(f"result shown with {result['seeds'][0]} and a download ({time.time() - started:.1f} s)")
    check(any(stage.startswith("unet") for stage in result["trace"]) and result["trace"][-1] == "total",
          f"no trace table: {result['trace']}")
    step(f"trace table with {len(result['trace']) - 1} stages")
    check(browser.evaluate("!document.getElementById('side-by-side').hidden "
                           "&& document.getElementById('sbs-input').naturalWidth > 0"), "no input/output side by side")

    # A second seed, then the compare view of the two.
    browser.type_into("#seed", str(SEED + 1))
    browser.click("#submit")
    browser.wait_for("document.body.dataset.state === 'done' "
                     f"&& document.querySelector('#result-list .seed')?.textContent === 'seed {SEED + 1}'",
                     "the second run", timeout=90)
    # The compare view shows the last two results; two seeds must differ somewhere.
    stats = browser.wait_for("Number(document.getElementById('compare-stats').dataset.max) > 0 && "
                             "document.getElementById('compare-stats').textContent", "a difference in the compare view")
    check("PSNR" in stats and "(the same image)" not in stats, f"unexpected compare statistics: {stats!r}")
    step(f"compare of seeds {SEED} and {SEED + 1}: {stats!r}")

    problems = browser.problems()
    check(not problems, f"the page logged errors: {problems}")
    step("no JavaScript exception or console error")
    return passed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True, help="the img2img executable")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--artifacts", default=".build/browser-test", help="where the screenshot is saved")
    parser.add_argument("--screenshot", help="also save the screenshot here, at 60 %% scale (e.g. docs/playground.png)")
    arguments = parser.parse_args()

    started = time.time()
    workdir = tempfile.mkdtemp(prefix="img2img-browser-")
    server = browser = None
    failed = 0
    try:
        server = Server(arguments.binary)
        browser = Browser(arguments.chromium, workdir)
        print(f"browser test: {arguments.chromium} against 127.0.0.1:{server.port}", flush=True)
        try:
            passed = run(browser, f"http://127.0.0.1:{server.port}", workdir)
        except AssertionError as error:
            print(f"FAIL: {error}", flush=True)
            passed, failed = [], 1
        shot = os.path.join(arguments.artifacts, "playground.png")
        browser.screenshot(shot)
        print(f"screenshot: {shot}")
        if arguments.screenshot:
            browser.screenshot(arguments.screenshot, scale=0.6)
        if failed:
            print("server log (last lines):\n" + "".join(server.log[-20:]))
    finally:
        if browser:
            browser.close()
        if server:
            server.close()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"browser test: {time.time() - started:.1f} s")
    print(f"{len(passed)} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
