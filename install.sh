#!/usr/bin/env bash
# Build lmvp and lmvp-server and install them as .NET tools into $LMVP_PREFIX/bin (default ~/.lmvp/bin), nothing else.
#   ./install.sh              build (Release), pack and install
#   ./install.sh --no-build   pack what 'dotnet build -c Release' already made, and install it
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
for project in Lmvp.Cli Lmvp.Server; do
  dotnet pack "$ROOT/src/$project" -c Release -o "$PACKAGES" -p:Version="$VERSION" "${BUILD[@]}" --nologo -v quiet >/dev/null
  dotnet tool uninstall --tool-path "$BIN" "$project" >/dev/null 2>&1 || true
  dotnet tool install --tool-path "$BIN" "$project" --version "$VERSION" --add-source "$PACKAGES" >/dev/null
done

echo "installed lmvp and lmvp-server $VERSION into $BIN"
case ":$PATH:" in
  *":$BIN:"*) echo "both are on your PATH: try 'lmvp --help'" ;;
  *)
    echo "$BIN is not on your PATH; this puts it there (add it to ~/.bashrc or ~/.zshrc to keep it):"
    echo "export PATH=\"$BIN:\$PATH\""
    ;;
esac
