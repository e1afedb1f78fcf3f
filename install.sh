#!/usr/bin/env bash
# Build lmvp and lmvp-server and install them as .NET tools into $LMVP_PREFIX/bin (default ~/.lmvp/bin), nothing else.
#   ./install.sh              build (Release), pack and install; both are native (ahead-of-time compiled) executables
#   ./install.sh --no-build   pack what 'dotnet build -c Release' already made (framework-dependent, JIT), and install it
# Native AOT links with the platform's C toolchain (clang or gcc, and zlib). Without one (or if a native build fails), that
# program is installed ReadyToRun (precompiled IL, still on the .NET runtime: slower to start, more memory), and one line per
# program says which build was installed and why; LMVP_BUILD=native|readytorun|jit chooses.
# When that directory is not on PATH, the last line printed is the one command that puts it there.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")" && pwd)"
PREFIX="${LMVP_PREFIX:-$HOME/.lmvp}"
BIN="$PREFIX/bin"
VERSION="0.1.0-local.$(date -u +%Y%m%d%H%M%S)"
BUILD=()
case "${1:-}" in
  --no-build) BUILD=(--no-build) ;;
  "") ;;
  *) echo "usage: $0 [--no-build]" >&2; exit 2 ;;
esac

PACKAGES="$(mktemp -d "${TMPDIR:-/tmp}/lmvp-packages.XXXXXX")"
trap 'rm -rf "$PACKAGES"' EXIT
# Without the analyzers (style and API checks, for development and CI): they were two thirds of the CPU of compiling lmvp-server.
pack() {
  dotnet pack "$@" -c Release -o "$PACKAGES" -p:Version="$VERSION" -p:RunAnalyzers=false -p:EnforceCodeStyleInBuild=false \
    --nologo -v quiet >"$PACKAGES/pack.log" 2>&1
}
install_tool() {
  dotnet tool uninstall --tool-path "$BIN" "$1" >/dev/null 2>&1 || true
  dotnet tool install --tool-path "$BIN" "$1" --version "$VERSION" --add-source "$PACKAGES" >/dev/null
}
fail() { cat "$PACKAGES/pack.log" >&2; echo "install.sh: $1" >&2; exit 1; }

# Which build, and why: the same for both programs.
RID="$(dotnet --info | sed -n 's/^ *RID: *//p' | head -n 1)"
if [ "${#BUILD[@]}" -gt 0 ]; then
  KIND=jit; WHY="--no-build packs what 'dotnet build' made"
elif [ -n "${LMVP_BUILD:-}" ]; then
  KIND="$LMVP_BUILD"; WHY="LMVP_BUILD=$LMVP_BUILD"
elif command -v clang >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1; then
  KIND=native; WHY="a C toolchain is here"
else
  KIND=readytorun; WHY="no clang or gcc for Native AOT (install clang and zlib1g-dev, then run ./install.sh again)"
fi
case "$KIND" in
  native|readytorun|jit) ;;
  *) echo "install.sh: LMVP_BUILD is native, readytorun or jit, not '$KIND'" >&2; exit 2 ;;
esac

# install_program NAME PROJECT PACKAGE: packs PROJECT as $KIND and installs it, then prints which build NAME is and why.
install_program() {
  local name=$1 project=$2 package=$3 kind=$KIND why=$WHY
  if [ "$kind" = native ]; then
    # The RID-specific package holds the native executable; the top-level one points 'dotnet tool install' at it.
    # Where it cannot be built (a linker or library missing, a platform Native AOT lacks), ReadyToRun is tried instead:
    # code that does not compile fails there too. It is built for this machine's instruction set (AVX2/AVX-512 where
    # present): the baseline x86-64 build hashes with 128-bit BLAKE3 and took twice the CPU for a commit (BENCHMARKS.md).
    if ! pack "$project" -r "$RID" -p:IlcInstructionSet=native; then
      kind=readytorun; why="Native AOT failed here: $(grep -m1 -iE "error" "$PACKAGES/pack.log" | sed 's/^ *//' | cut -c1-200)"
    fi
  fi
  case "$kind" in
    native) pack "$project" ;;
    readytorun) pack "$project" -r "$RID" -p:PublishAot=false -p:PublishReadyToRun=true && pack "$project" ;;
    jit) pack "$project" -p:ToolPackageRuntimeIdentifiers= -p:PublishAot=false "${BUILD[@]}" ;;
  esac || fail "dotnet pack of $name failed"
  install_tool "$package"
  case "$kind" in
    native) echo "$name: the native build (Native AOT, $RID): $why" ;;
    readytorun) echo "$name: the ReadyToRun build ($RID, on the .NET runtime; starts slower than native): $why" ;;
    jit) echo "$name: the framework-dependent build (JIT; starts slower than native): $why" ;;
  esac
}
install_program lmvp "$ROOT/src/Lmvp.Cli" Lmvp.Cli
install_program lmvp-server "$ROOT/src/Lmvp.Server" Lmvp.Server
echo "installed lmvp and lmvp-server $VERSION into $BIN"
case ":$PATH:" in
  *":$BIN:"*) echo "both are on your PATH: try 'lmvp --help'" ;;
  *)
    echo "$BIN is not on your PATH; this puts it there (add it to ~/.bashrc or ~/.zshrc to keep it):"
    echo "export PATH=\"$BIN:\$PATH\""
    ;;
esac
