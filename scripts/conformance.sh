#!/usr/bin/env bash
# API conformance check: runs schemathesis against our server with the Livepeer runner's OpenAPI description
# (../shared/api/runner-openapi.yaml, or $SPEC) for POST /image-to-image, GET /health and GET /version.
#
# It builds img2img, starts `img2img serve` on the bundled test model at 127.0.0.1:$PORT (8765 by default) with
# small limits so generated requests stay quick, creates its own venv under ${VENV:-/tmp/img2img-conformance-venv}
# with schemathesis, runs it, prints its summary and stops the server. Exit status: schemathesis's.
#
#   scripts/conformance.sh                 # default checks, up to $MAX_EXAMPLES (30) examples per operation
#   MAX_EXAMPLES=100 scripts/conformance.sh
#
# Checks run: schemathesis's defaults for responses (status codes documented, content types, response schema
# conformance, no 5xx). Requests the spec allows but the server deliberately refuses (e.g. strength outside
# [0, 1], which the runner too refuses with a 400 that the spec documents) are fine: 400/422 are documented.
set -euo pipefail
cd "$(dirname "$0")/.."

SPEC=${SPEC:-../shared/api/runner-openapi.yaml}
PORT=${PORT:-8765}
VENV=${VENV:-/tmp/img2img-conformance-venv}
MAX_EXAMPLES=${MAX_EXAMPLES:-30}
SCHEMATHESIS_VERSION=${SCHEMATHESIS_VERSION:-4.32.5}
export PATH="$PATH:/opt/swift/usr/bin"

[ -f "$SPEC" ] || { echo "conformance: spec not found at $SPEC (set SPEC=…)" >&2; exit 2; }
if [ ! -x "$VENV/bin/schemathesis" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi

swift build -c release --product img2img
log=$(mktemp)
.build/release/img2img serve --port "$PORT" --max-steps 4 --max-images 2 --max-pixels 65536 \
    --max-upload-bytes 1048576 --queue-capacity 16 >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$PORT/health" 2>/dev/null | grep -q '"OK"'; then break; fi
    sleep 0.2
done
curl -fsS "http://127.0.0.1:$PORT/health" | grep -q '"OK"' || { echo "conformance: server did not start" >&2; cat "$log" >&2; exit 2; }

"$VENV/bin/schemathesis" run "$SPEC" \
    --url "http://127.0.0.1:$PORT" \
    --include-path /image-to-image --include-path /health --include-path /version \
    --max-examples "$MAX_EXAMPLES" \
    --checks all \
    --exclude-checks positive_data_acceptance,negative_data_rejection,missing_required_header,ignored_auth,unsupported_method \
    --seed 1 \
    --workers 1 \
    --request-timeout 60
