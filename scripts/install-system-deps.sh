#!/usr/bin/env bash
# Installs the Debian packages the build links against, when any is missing: directly as root, else via sudo.
# `--browser` adds what the playground's browser test needs (`make browser-test`): Debian's chromium.
set -euo pipefail
packages=(libopenblas-dev libpng-dev libturbojpeg0-dev pkg-config)
if [ "${1:-}" = "--browser" ]; then packages+=(chromium); fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing system packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq "${missing[@]}"
