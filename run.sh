#!/usr/bin/env bash
# The project's one entry point. `./run.sh report` and `./run.sh test` each set up
# everything they need on a clean clone (Debian packages, a .venv with the package and
# its tools) and then run. See `./run.sh help`.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
VENV=${LEKHOK_VENV:-$ROOT/.venv}
# the extras every set-up installs: dev and lab for the tests and notebooks, dask so that the
# tests exercise `sweep --cluster` (a change here re-installs, like a change of pyproject.toml)
EXTRAS=dev,lab,dask
APT_PACKAGES=(chromium poppler-utils fonts-dejavu-core fonts-liberation libcap2-bin)

say() { printf '==> %s\n' "$*" >&2; }

need_sudo() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

system_packages() {
  # chromium prints the notebooks to PDF; poppler-utils (pdftotext, pdftoppm) checks them.
  local missing=()
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
  command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
  [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
  [ -d /usr/share/fonts/truetype/liberation ] || missing+=(fonts-liberation)
  # capsh lets the tests drop root's override of folder permissions (the read-only-folder test)
  command -v capsh >/dev/null 2>&1 || missing+=(libcap2-bin)
  if [ ${#missing[@]} -gt 0 ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
      say "missing system packages: ${missing[*]} (install them with your package manager)"; exit 1
    fi
    say "installing Debian packages: ${missing[*]}"
    need_sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive need_sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

pick_python() {
  local cand
  for cand in "${PYTHON:-}" python3 python3.11 python3.12 python3.13 python3.14; do
    [ -n "$cand" ] || continue
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$cand"; return
    fi
  done
  say "Python 3.11 or newer is required (set PYTHON=/path/to/python3.11)"; exit 1
}

python_env() {
  local py stamp want
  py=$(pick_python)
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV with $($py --version)"
    if ! "$py" -m venv "$VENV" 2>/dev/null; then
      say "installing python3-venv"; need_sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive need_sudo apt-get install -y -qq python3-venv >/dev/null
      "$py" -m venv "$VENV"
    fi
  fi
  stamp=$VENV/.lekhok-installed
  want=$({ cat pyproject.toml; echo "extras=$EXTRAS"; } | sha256sum | cut -c1-16)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing lekhok-forecast and its tools into $VENV (first run takes a few minutes)"
    "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
    "$VENV/bin/python" -m pip install -q -e ".[$EXTRAS]"
    echo "$want" > "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
}

setup() { system_packages; python_env; }

checks() {
  # The habits every change keeps (configured in pyproject.toml): lint, format, types.
  say "ruff check (lint)";        "$VENV/bin/ruff" check --quiet .
  say "ruff format --check";      "$VENV/bin/ruff" format --check --quiet .
  say "mypy (types of the package)"; "$VENV/bin/mypy" --no-error-summary
}

cmd=${1:-help}; shift || true
case "$cmd" in
  setup)    setup ;;
  report)   setup; exec "$VENV/bin/lekhok-forecast" report "$@" ;;
  test)     setup; checks; exec "$VENV/bin/python" -m pytest "$@" ;;
  simulate) setup; exec "$VENV/bin/lekhok-forecast" simulate "${@:-data/plans/lekhok_deployment.yaml}" ;;
  lab)      setup
            # Jupyter refuses to run as root (containers, CI) unless told to
            root=(); [ "$(id -u)" -eq 0 ] && root=(--allow-root)
            exec "$VENV/bin/jupyter" lab notebooks/ ${root[@]+"${root[@]}"} "$@" ;;
  bench)    setup; exec "$VENV/bin/python" benchmarks/run.py "$@" ;;
  refresh-notebooks) setup; exec "$VENV/bin/lekhok-forecast" notebooks refresh "$@" ;;
  help|-h|--help)
    cat <<'USAGE'
usage: ./run.sh COMMAND [ARGS...]
  report [--week YYYY-Www ...]   set up, then write reports/<week>/weekly-status.pdf (the main job)
  test [PYTEST ARGS]             set up, then ruff, mypy and every test (pytest, hypothesis, nbval, end-to-end report)
  simulate [PLAN] [--json ...]   set up, then print a forecast (default: the Lekhok plan)
  lab                            set up, then open the notebooks in JupyterLab
  bench [ARGS]                   set up, then run the benchmark suite (benchmarks/run.py)
  refresh-notebooks              re-execute notebooks/ in place after a deliberate change (nbval baselines)
  setup                          only set up (Debian packages + .venv)
USAGE
    ;;
  *) say "unknown command '$cmd' (see ./run.sh help)"; exit 2 ;;
esac
