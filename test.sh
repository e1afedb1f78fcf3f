#!/usr/bin/env bash
# The whole test suite: the .NET tests (store, CLI, server, web UI in headless Chromium), then the Python package's tests
# against a real lmvp-server and the real lmvp command line that the .NET build just made, then the tests that run lmvp as
# a child process once more against the native (Native AOT) lmvp and lmvp-server that ./install.sh installs.
set -euo pipefail
cd "$(dirname "$0")"
dotnet test Lmvp.Vcs.sln -c Release
# Debian's python3 is the one with python3-pytest and python3-torch; another python3 on PATH (pyenv) may lack them.
PYTHON=${PYTHON:-$(if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else command -v python3; fi)}
"$PYTHON" -m pytest -q python/tests

# The native lmvp is another build of the same code (no reflection, no JIT): every command end to end (init to gc, push,
# clone, fetch, pull, get, partial clone, completion, git provenance, kills and corrupt packs) runs again against it.
# Linking it needs a C toolchain (clang or gcc, and zlib); without one this part is skipped, except in CI.
if ! command -v clang >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1; then
  if [ "${LMVP_REQUIRE_SERVICES:-}" = 1 ]; then
    echo "test.sh: no clang or gcc to build the native lmvp (apt-get install clang zlib1g-dev)" >&2
    exit 1
  fi
  echo "test.sh: skipped the native lmvp's tests: no clang or gcc (apt-get install clang zlib1g-dev)" >&2
  exit 0
fi
native="$(mktemp -d "${TMPDIR:-/tmp}/lmvp-native.XXXXXX")"
trap 'rm -rf "$native"' EXIT
rid="$(dotnet --info | sed -n 's/^ *RID: *//p' | head -n 1)"
dotnet publish src/Lmvp.Cli -c Release -r "$rid" -p:IlcInstructionSet=native -o "$native/lmvp.d" --nologo -v quiet
dotnet publish src/Lmvp.Server -c Release -r "$rid" -p:IlcInstructionSet=native -o "$native/server.d" --nologo -v quiet
export LMVP_TEST_NATIVE_LMVP="$native/lmvp.d/lmvp"
# The native lmvp-server as install.sh installs it (source-generated JSON only, no reflection): the Python package's tests
# through both native programs, and the tests that start lmvp-server as a child (its command line; a server on PostgreSQL
# and Ceph RGW killed mid-push).
export LMVP_TEST_NATIVE_SERVER="$native/server.d/lmvp-server"
LMVP_SERVER_BIN="$LMVP_TEST_NATIVE_SERVER" LMVP_BIN="$LMVP_TEST_NATIVE_LMVP" "$PYTHON" -m pytest -q python/tests
dotnet test test/Lmvp.Server.Tests -c Release --no-build --filter "FullyQualifiedName~ServerCommandTests|FullyQualifiedName~TwoServerTests"
dotnet test test/Lmvp.Cli.Tests -c Release --no-build --filter "FullyQualifiedName~ProgramTests|FullyQualifiedName~Shell"
dotnet test test/Lmvp.Store.Tests -c Release --no-build --filter "FullyQualifiedName~Reliability"
dotnet test test/Lmvp.Server.Tests -c Release --no-build \
  --filter "FullyQualifiedName~SyncEndToEndTests|FullyQualifiedName~PartialCloneTests|FullyQualifiedName~StreamingCloneTests|FullyQualifiedName~GetCommandTests|FullyQualifiedName~ParamsAndAccountEndToEndTests"
