#!/usr/bin/env bash
# Prints the interpreter `make` creates .venv with (override: make PYTHON=/path/to/python3).
#
# The distribution's CPython comes first when it is 3.11 or newer and can create a venv: Debian
# links /usr/bin/python3.x statically and builds it with profile-guided and link-time optimization,
# while a default pyenv build (what `python3` on PATH is on our machines) is a shared-library build
# without them and runs the FA(3) pipeline about 12 % slower (docs/benchmarks.md measures both).
# Otherwise python3 from PATH.
set -u
for candidate in /usr/bin/python3 python3; do
    if "$candidate" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        command -v "$candidate"
        exit 0
    fi
done
echo python3
