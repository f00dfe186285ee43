#!/usr/bin/env bash
# Offline validation of deploy/cloudformation/ (run by ./test.sh): cfn-lint with its bundled CloudFormation
# schemas, LiveStream's own checks, and a self-test that breaks the templates in known ways and requires
# every break to be caught. Needs no network and no AWS account.
#   deploy/validate.sh              same as ./test.sh's step
#   deploy/validate.sh --no-selftest only lint and check
set -euo pipefail
cd "$(dirname "$0")"

# cfn-lint is a Python package; this machine image ships it (pip, Python 3.11 under pyenv, beside moto).
python=""
for candidate in python3 "${HOME:-/root}/.pyenv/shims/python3" /root/.pyenv/shims/python3 /root/.pyenv/versions/*/bin/python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import cfnlint' >/dev/null 2>&1; then
    python=$candidate; break
  fi
done
if [ -z "$python" ]; then
  echo "deploy/validate.sh: no Python with the cfn-lint package was found (python3 on PATH or under ~/.pyenv);" \
       "install it with: pip install 'cfn-lint>=1.51,<2'" >&2
  exit 1
fi

args=(--selftest)
[ "${1:-}" = --no-selftest ] && args=()
exec "$python" validate.py "${args[@]}"
