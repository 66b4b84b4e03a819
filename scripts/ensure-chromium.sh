#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (Playwright drives it through executable_path;
# Playwright's own browser download is not used). Does nothing when it is there already.
set -eu
CHROMIUM=${AMPYRE_CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Chromium is missing at $CHROMIUM and apt-get is not available; install it or set AMPYRE_CHROMIUM" >&2
  exit 1
fi
as_root=""
[ "$(id -u)" -ne 0 ] && as_root="sudo"
$as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq chromium >/dev/null
[ -x "$CHROMIUM" ] || { echo "Chromium did not install at $CHROMIUM" >&2; exit 1; }
