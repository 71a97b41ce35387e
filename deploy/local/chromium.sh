#!/usr/bin/env bash
# Installs Debian's Chromium (if /usr/bin/chromium is missing) and proves it renders a page headless.
# Usage: deploy/local/chromium.sh   (idempotent; prints the browser path on stdout)
set -euo pipefail
VP_SERVICE=chromium
# shellcheck source=deploy/local/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CHROMIUM="${VOICEPULSE_CHROMIUM:-/usr/bin/chromium}"
# The flags tests pass too: no sandbox (we run as root), and no calls home (CI has no network).
FLAGS=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
  --disable-sync --no-first-run --disable-dev-shm-usage)

if [[ ! -x "$CHROMIUM" ]]; then
  [[ "$CHROMIUM" == /usr/bin/chromium ]] || vp_die "VOICEPULSE_CHROMIUM=$CHROMIUM is not an executable"
  vp_apt_install chromium fonts-dejavu-core
fi

profile="$(mktemp -d)"
err="$profile.stderr"
trap 'rm -rf "$profile" "$err"' EXIT
marker="voicepulse-$$"
dom="$(timeout 60 "$CHROMIUM" "${FLAGS[@]}" --user-data-dir="$profile" --dump-dom \
  "data:text/html,<p id=probe>$marker</p><script>document.title='ok'</script>" 2>"$err")" ||
  vp_die "headless Chromium failed (exit $?)" "$err"
[[ "$dom" == *"<p id=\"probe\">$marker</p>"* && "$dom" == *"<title>ok</title>"* ]] ||
  vp_die "headless Chromium did not render the probe page; got: ${dom:0:300}" "$err"
vp_log "$("$CHROMIUM" --version 2>/dev/null || echo chromium) renders headless"
echo "$CHROMIUM"
