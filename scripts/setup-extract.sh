#!/usr/bin/env bash
# Installs what text extraction needs, non-interactively and only when missing:
#   - Tesseract 5 with Spanish (Debian tesseract-ocr, tesseract-ocr-spa): OCR, loaded by trove at
#     run time (Apache-2.0; nothing links it);
#   - poppler-utils: pdftotext, the baseline `trove bench extract` measures against (GPL, run as a
#     separate program, never linked);
#   - libpdfium.so from the pypdfium2 wheel on PyPI (BSD/Apache): PDF text, loaded at run time by
#     trove's extraction workers, into /usr/local/lib (TROVE_PDFIUM_DIR to change).
# Called by ./demo.sh and .ci/run. Downloads happen here, never during ingest.
set -euo pipefail

PYPDFIUM2_VERSION=5.15.2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi

need=()
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
ls /usr/share/tesseract-ocr/*/tessdata/spa.traineddata >/dev/null 2>&1 || need+=(tesseract-ocr-spa)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

dest="${TROVE_PDFIUM_DIR:-/usr/local/lib}"
if [ ! -f "$dest/libpdfium.so" ]; then
    echo "installing libpdfium.so (pypdfium2 $PYPDFIUM2_VERSION) into $dest" >&2
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
        --dest "$tmp" "pypdfium2==$PYPDFIUM2_VERSION"
    python3 -m zipfile -e "$tmp"/pypdfium2-*.whl "$tmp/wheel"
    $SUDO mkdir -p "$dest"
    $SUDO install -m 0644 "$tmp/wheel/pypdfium2_raw/libpdfium.so" "$dest/libpdfium.so"
fi
