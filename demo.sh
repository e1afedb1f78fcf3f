#!/usr/bin/env bash
# The whole LMVP story on its embedded defaults, from a fresh checkout:
#   1. build lmvp (native, Native AOT, where clang or gcc is installed; else ReadyToRun) and lmvp-server and install them
#      as .NET tools (into $LMVP_PREFIX/bin, default ~/.lmvp/bin);
#   2. start a local lmvp-server on 127.0.0.1 (SQLite metadata, packs on disk);
#   3. make a training directory, commit two epochs with metrics;
#   4. push to the server, clone elsewhere as a teammate would, show the log, and check the files are identical.
# Everything it makes (server data, the two directories, credentials) lives in one scratch directory it prints.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")" && pwd)"
PREFIX="${LMVP_PREFIX:-$HOME/.lmvp}"
WORK="${LMVP_DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/lmvp-demo.XXXXXX")}"
PORT="${LMVP_DEMO_PORT:-$((20000 + RANDOM % 20000))}"
URL="http://127.0.0.1:$PORT"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Build and install lmvp and lmvp-server into $PREFIX/bin (./install.sh does only this)"
LMVP_PREFIX="$PREFIX" "$ROOT/install.sh"
export PATH="$PREFIX/bin:$PATH"
echo "installed: $(command -v lmvp) and $(command -v lmvp-server)"

step "Start lmvp-server at $URL (data in $WORK/server)"
export LMVP_CONFIG_DIR="$WORK/config"   # keep the demo's login apart from yours
echo "demo-password-1234" | lmvp-server admin create-user demo --password-stdin --data "$WORK/server"
TOKEN="$(lmvp-server admin create-token demo --scope write --name demo --data "$WORK/server")"
lmvp-server admin create-repo demo/bert-finetune --data "$WORK/server"
lmvp-server --data "$WORK/server" --urls "$URL" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; echo "lmvp-server did not start" >&2; exit 1; }
  sleep 0.1
done
echo "$TOKEN" | lmvp login "$URL" --token-stdin

step "A training directory: two epochs of a 64 MiB model"
mkdir -p "$WORK/train" && cd "$WORK/train"
lmvp init
head -c $((64 * 1024 * 1024)) /dev/urandom > model.safetensors
printf '{"hidden_size": 768, "layers": 12}\n' > config.json
lmvp commit -m "epoch 1" --metric loss=0.93 --metric val_loss=1.02 --param lr=3e-4 --param optimizer=adamw
# Fine-tuning rewrites a few layers in place: 3 MiB of the 64.
dd if=/dev/urandom of=model.safetensors bs=1M count=3 seek=40 conv=notrunc status=none
lmvp commit -m "epoch 2" --metric loss=0.41 --metric val_loss=0.57 --param lr=1e-4 --param optimizer=adamw
lmvp diff HEAD~1 HEAD

step "Push to $URL/demo/bert-finetune"
lmvp remote add origin "$URL/demo/bert-finetune"
lmvp push origin

step "A teammate clones it elsewhere"
cd "$WORK"
lmvp clone "$URL/demo/bert-finetune" teammate
cd teammate
lmvp log
lmvp log --best val_loss --oneline

step "Check: byte-identical files"
for f in model.safetensors config.json; do
  cmp "$WORK/train/$f" "$WORK/teammate/$f"
done
lmvp fsck
echo
echo "All good. lmvp and lmvp-server stay installed in $PREFIX/bin; to use them from any shell:"
echo "  export PATH=\"$PREFIX/bin:\$PATH\""
echo "The server keeps running only while this script does; to explore the web UI, run:"
echo "  $PREFIX/bin/lmvp-server --data $WORK/server --urls $URL    # then open $URL/ and sign in as demo / demo-password-1234"
