#!/usr/bin/env bash
# Debian packages the test suite uses besides Python ones, installed only when missing and when we may:
#   xmlsec1          cross-checks our XAdES signatures with an independent implementation
#   chromium         the browser the web app's Playwright tests drive (headless, executable_path)
#   poppler-utils    pdftotext / pdftoppm read the rendered invoice PDFs back
#   zbar-tools       zbarimg decodes the QR codes on the rendered pages
#   fonts-dejavu-core   the PDF's font (ReportLab embeds a subset of DejaVu Sans)
#   fonts-symbola       the PDF's fallback for symbols and emoji DejaVu lacks (monochrome; optional)
#   libqrencode4        the fast QR encoder (visual.qrencode, through ctypes); without it zxing-cpp draws
#                       the codes, about half as fast
# `scripts/system-deps.sh runtime` installs only what the running app needs (fonts, QR encoder), for `make demo`.
set -u
missing=()
if [ "${1:-test}" != runtime ]; then
    command -v xmlsec1 >/dev/null 2>&1 || missing+=(xmlsec1)
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
    command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
fi
ldconfig -p 2>/dev/null | grep -q 'libqrencode.so.4' || missing+=(libqrencode4)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
[ -e /usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf ] || missing+=(fonts-symbola)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "scripts/system-deps.sh: installing ${missing[*]}" >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null) >&2 \
            || echo "scripts/system-deps.sh: could not install ${missing[*]}; dependent tests will skip" >&2
    else
        echo "scripts/system-deps.sh: missing ${missing[*]}; dependent tests will skip" >&2
    fi
fi
exit 0
