"""Schemathesis hooks for scripts/conformance.sh: wherever a generated request carries a binary value for the
`image` file field, it becomes a 32×32 PNG. Schemathesis's own stand-in is a 1×1 PNG, which the runner
(diffusers) and this server both refuse with a 400 (an image must be at least 8×8), so without this no request
would reach a 200 and the success responses would go unchecked. Other values (text instead of a file, a missing
image) are left alone, so the negative cases stay negative."""

import os
import sys

import schemathesis
from schemathesis.transport.serialization import Binary

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner_parity import png  # noqa: E402

IMAGE = png(32, 32)


@schemathesis.hook
def map_case(context, case):
    if isinstance(case.body, dict) and isinstance(case.body.get("image"), (Binary, bytes, bytearray)):
        case.body = {**case.body, "image": Binary(IMAGE)}
    return case
