#!/usr/bin/env bash
# Installs Debian's chromium for the HTML report's browser test
# (crates/ssomatrix-cli/tests/report_chromium.rs); nothing to do when
# /usr/bin/chromium is there. Needs root (or sudo) for apt-get.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  sudo="sudo"
fi
echo "installing chromium for the HTML report test (apt-get)" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium
