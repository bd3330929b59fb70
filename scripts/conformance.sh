#!/usr/bin/env bash
# API conformance check: runs schemathesis against our server with the Livepeer runner's OpenAPI description
# (../shared/api/runner-openapi.yaml, or $SPEC) for POST /image-to-image, GET /health and GET /version.
#
# It builds img2img, starts `img2img serve` on the bundled test model at 127.0.0.1:$PORT (8765 by default) with
# AUTH_TOKEN set (the spec declares bearer security, so requests without the token must get 401) and limits that
# keep generated requests quick, creates its own venv under ${VENV:-/tmp/img2img-conformance-venv} with
# schemathesis, runs it, prints its summary and stops the server. Exit status: schemathesis's.
#
#   scripts/conformance.sh                 # up to $MAX_EXAMPLES (100) examples per operation
#   MAX_EXAMPLES=100 scripts/conformance.sh
#
# Checks: all of schemathesis's, except two that cannot hold for the runner's API and so not for ours:
#  - positive_data_acceptance: the spec leaves ranges open (strength in [0, 1], a decodable image, torch's seed
#    range), which the runner refuses with documented 400s; our deployment limits add more.
#  - negative_data_rejection: in multipart/form-data every value is text, so a "boolean" sent for the string
#    field `loras` is the text "false", which FastAPI accepts as a string, as do we.
set -euo pipefail
cd "$(dirname "$0")/.."

SPEC=${SPEC:-../shared/api/runner-openapi.yaml}
PORT=${PORT:-8765}
VENV=${VENV:-/tmp/img2img-conformance-venv}
MAX_EXAMPLES=${MAX_EXAMPLES:-100}
SCHEMATHESIS_VERSION=${SCHEMATHESIS_VERSION:-4.32.5}
export PATH="$PATH:/opt/swift/usr/bin"

[ -f "$SPEC" ] || { echo "conformance: spec not found at $SPEC (set SPEC=…)" >&2; exit 2; }
if [ ! -x "$VENV/bin/schemathesis" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi

swift build -c release --product img2img
log=$(mktemp)
TOKEN=conformance-token
AUTH_TOKEN=$TOKEN .build/release/img2img serve --port "$PORT" --max-steps 100 --max-images 4 --max-pixels 65536 \
    --max-upload-bytes 1048576 --queue-capacity 16 >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; summarise; rm -f "$log"' EXIT
# The statuses the server gave, from its log lines (so a run that never reached a 200 shows it).
summarise() { echo "server answers to POST /image-to-image:"; grep -a -o 'POST /image-to-image [0-9]*' "$log" | sort | uniq -c; }
for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$PORT/health" 2>/dev/null | grep -q '"OK"'; then break; fi
    sleep 0.2
done
curl -fsS "http://127.0.0.1:$PORT/health" | grep -q '"OK"' || { echo "conformance: server did not start" >&2; cat "$log" >&2; exit 2; }

# scripts/conformance_hooks.py swaps schemathesis's 1×1 stand-in image (refused by the runner and by us) for a
# 32×32 PNG, so valid requests reach 200 and the success responses are checked too.
PYTHONPATH=scripts SCHEMATHESIS_HOOKS=conformance_hooks "$VENV/bin/schemathesis" run "$SPEC" \
    --url "http://127.0.0.1:$PORT" \
    --header "Authorization: Bearer $TOKEN" \
    --include-path /image-to-image --include-path /health --include-path /version \
    --max-examples "$MAX_EXAMPLES" \
    --checks all \
    --exclude-checks positive_data_acceptance,negative_data_rejection \
    --seed 1 \
    --workers 1 \
    --request-timeout 60
