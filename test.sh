#!/usr/bin/env bash
# The whole test suite: the .NET tests (store, CLI, server, web UI in headless Chromium), then the Python package's tests
# against a real lmvp-server and the real lmvp command line that the .NET build just made, then the tests that run lmvp as
# a child process once more against the native (Native AOT) lmvp and lmvp-server that ./install.sh installs.
set -euo pipefail
cd "$(dirname "$0")"
# Built first, then tested: 'dotnet test' on the solution runs two test assemblies at a time once they are built, while
# building each one in the same pass ran them mostly one after another (6 minutes of tests instead of 4 on 2 cores).
dotnet build Lmvp.Vcs.sln -c Release --nologo -v quiet

# The native lmvp is another build of the same code (no reflection, no JIT): every command end to end (init to gc, push,
# clone, fetch, pull, get, partial clone, completion, git provenance, kills and corrupt packs) runs again against it.
# Linking it needs a C toolchain (clang or gcc, and zlib); without one that part is skipped, except in CI.
native=""
if command -v clang >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1; then
  native="$(mktemp -d "${TMPDIR:-/tmp}/lmvp-native.XXXXXX")"
  # The publishes run in their own session, so that an exit stops every compiler process under them (once they are done,
  # the kill finds nothing).
  trap 'if [ -n "${publishing:-}" ]; then kill -- "-$publishing" 2>/dev/null || true; fi; rm -rf "$native"' EXIT
  rid="$(dotnet --info | sed -n 's/^ *RID: *//p' | head -n 1)"
  # Restored here, before any test runs, and compiled while the tests below run: run after them, the two publishes added
  # 4-5 minutes on 2 cores that the tests had left a third idle (the suite took 886 s at 66% CPU that way, 737 s at 88%
  # this way). They write only under their own RID's obj/ and bin/ folders: nothing the running tests load changes.
  dotnet restore src/Lmvp.Cli -r "$rid" -v quiet
  dotnet restore src/Lmvp.Server -r "$rid" -v quiet
  # Without the analyzers: the build above ran them on the same code, and they were two thirds of the CPU of compiling
  # lmvp-server for the RID (91 CPU-seconds with them, 30 without).
  setsid bash -c 'set -e
    for p in Cli:lmvp.d Server:server.d; do
      dotnet publish "src/Lmvp.${p%%:*}" -c Release -r "$1" -p:IlcInstructionSet=native -p:RunAnalyzers=false \
        -p:EnforceCodeStyleInBuild=false -o "$2/${p#*:}" --no-restore --nologo -v quiet
    done' publish "$rid" "$native" >"$native/publish.log" 2>&1 &
  publishing=$!
elif [ "${LMVP_REQUIRE_SERVICES:-}" = 1 ]; then
  echo "test.sh: no clang or gcc to build the native lmvp (apt-get install clang zlib1g-dev)" >&2
  exit 1
fi

dotnet test Lmvp.Vcs.sln -c Release --no-build
# Debian's python3 is the one with python3-pytest and python3-torch; another python3 on PATH (pyenv) may lack them.
PYTHON=${PYTHON:-$(if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else command -v python3; fi)}
"$PYTHON" -m pytest -q python/tests

if [ -z "$native" ]; then
  echo "test.sh: skipped the native lmvp's tests: no clang or gcc (apt-get install clang zlib1g-dev)" >&2
  exit 0
fi
if ! wait "$publishing"; then
  cat "$native/publish.log" >&2
  echo "test.sh: publishing the native lmvp and lmvp-server failed (above)" >&2
  exit 1
fi
export LMVP_TEST_NATIVE_LMVP="$native/lmvp.d/lmvp"
# The native lmvp-server as install.sh installs it (source-generated JSON only, no reflection): the Python package's tests
# through both native programs, and the tests that start lmvp-server as a child (its command line; a server on PostgreSQL
# and Ceph RGW killed mid-push).
export LMVP_TEST_NATIVE_SERVER="$native/server.d/lmvp-server"
LMVP_SERVER_BIN="$LMVP_TEST_NATIVE_SERVER" LMVP_BIN="$LMVP_TEST_NATIVE_LMVP" "$PYTHON" -m pytest -q python/tests
# One run over the solution, so that these too run two assemblies at a time; each pattern names tests of one assembly.
# InstallTests installs the JIT build (install.sh --no-build) whatever lmvp the tests run, so it ran above and is enough.
dotnet test Lmvp.Vcs.sln -c Release --no-build --filter "$(printf '%s' \
  '(FullyQualifiedName~ServerCommandTests|FullyQualifiedName~TwoServerTests|' \
  'FullyQualifiedName~ProgramTests|FullyQualifiedName~Shell|' \
  'FullyQualifiedName~Reliability|' \
  'FullyQualifiedName~SyncEndToEndTests|FullyQualifiedName~PartialCloneTests|FullyQualifiedName~StreamingCloneTests|' \
  'FullyQualifiedName~GetCommandTests|FullyQualifiedName~ParamsAndAccountEndToEndTests)&FullyQualifiedName!~InstallTests')"
