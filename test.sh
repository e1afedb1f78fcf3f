#!/usr/bin/env bash
# The whole test suite: the .NET tests (store, CLI, server, web UI in headless Chromium), then the Python package's tests
# against a real lmvp-server and the real lmvp command line that the .NET build just made.
set -euo pipefail
cd "$(dirname "$0")"
dotnet test Lmvp.Vcs.sln -c Release
# Debian's python3 is the one with python3-pytest and python3-torch; another python3 on PATH (pyenv) may lack them.
PYTHON=${PYTHON:-$(if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else command -v python3; fi)}
"$PYTHON" -m pytest -q python/tests
