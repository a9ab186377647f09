#!/usr/bin/env bash
# Debian packages the test suite uses besides Python ones: xmlsec1 (cross-checks our XAdES
# signatures with an independent implementation). Installed only when missing and when we may.
set -u
missing=()
command -v xmlsec1 >/dev/null 2>&1 || missing+=(xmlsec1)
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
