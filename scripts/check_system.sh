#!/usr/bin/env bash
# Make sure a system program the tests need is there; install it with apt-get
# where we are root on Debian, else say exactly what to install.
# Usage: check_system.sh chromium
set -euo pipefail
need=${1:?program}
case "$need" in
  chromium) candidates=(chromium chromium-browser); package=chromium ;;
  *) echo "check_system.sh: unknown program $need" >&2; exit 2 ;;
esac
if [ -n "${CHROMIUM:-}" ] && [ -x "$CHROMIUM" ]; then exit 0; fi
for c in "${candidates[@]}"; do
  if command -v "$c" >/dev/null 2>&1; then exit 0; fi
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "$need not found: installing the Debian package $package"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
  exit 0
fi
echo "error: $need is needed to test the built site in a real browser." >&2
echo "       Install it (Debian/Ubuntu: sudo apt-get install $package) or set CHROMIUM=/path/to/chromium." >&2
exit 1
