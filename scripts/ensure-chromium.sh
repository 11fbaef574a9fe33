#!/usr/bin/env bash
# The browser tests drive the machine's Chromium (Debian package) through Playwright; no
# browser is downloaded at run time. Install it, and a CJK font for the screenshots, if missing.
set -euo pipefail
need=()
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  need+=(chromium)
fi
if ! fc-list 2>/dev/null | grep -qiE "wenquanyi|noto sans cjk|droid sans fallback"; then
  need+=(fonts-wqy-microhei)
fi
if [ "${#need[@]}" -eq 0 ]; then
  exit 0
fi
echo "installing for the browser tests: ${need[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
