#!/usr/bin/env bash
# Installs moto_server into the repository's .venv for the ssomatrix-aws
# contract tests (crates/ssomatrix-aws/tests/contract_moto.rs).
#
# Idempotent: a venv that already has the pinned moto is left alone, so CI and
# developers can run it before every test run. The pin is the version the
# contract tests were written and verified against; moto's coverage of
# sso-admin, identitystore and organizations changes between releases, so move
# it deliberately and rerun `cargo test -p ssomatrix-aws`.
set -euo pipefail

MOTO_VERSION="5.2.5"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"

if [[ -x "$venv/bin/moto_server" ]] \
    && "$venv/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
    echo "moto $MOTO_VERSION already installed in $venv"
    exit 0
fi

python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION"
echo "installed moto $MOTO_VERSION into $venv"
