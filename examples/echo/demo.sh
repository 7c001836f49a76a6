#!/usr/bin/env bash
# Echo demo: Trellis + two echo backends + a proxyless gRPC client (xds:///echo.demo).
# Run from anywhere: examples/echo/demo.sh   (Ctrl-C or the end of the script stops everything)
# Env: XDS_PORT (18000), API_PORT (18001), ECHO_PORT_1 (50051), ECHO_PORT_2 (50052), TRELLIS_DATA (temp dir).
set -euo pipefail
cd "$(dirname "$0")/../.."

XDS_PORT=${XDS_PORT:-18000}
API_PORT=${API_PORT:-18001}
ECHO_PORT_1=${ECHO_PORT_1:-50051}
ECHO_PORT_2=${ECHO_PORT_2:-50052}
DATA=${TRELLIS_DATA:-$(mktemp -d -t trellis-echo-demo-XXXXXX)}
export TRELLIS_DATA=$DATA
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

trellis() { node bin/trellis.mjs "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "start Trellis (data in $DATA)"
rm -f "$DATA/server.json"
node bin/trellis.mjs serve --data "$DATA" --xds "127.0.0.1:$XDS_PORT" --api "127.0.0.1:$API_PORT" --proxy-grace 2s >"$DATA/trellis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [[ -f "$DATA/server.json" ]] && break; sleep 0.1; done
[[ -f "$DATA/server.json" ]] || { echo "Trellis did not start; see $DATA/trellis.log"; cat "$DATA/trellis.log"; exit 1; }
cat "$DATA/server.json"

step "start two echo servers"
node --import tsx test/e2e/fixtures/echo-server.ts --id echo-1 --port "$ECHO_PORT_1" &
PIDS+=($!)
node --import tsx test/e2e/fixtures/echo-server.ts --id echo-2 --port "$ECHO_PORT_2" &
PIDS+=($!)
sleep 1.5

step "register them as service echo in namespace demo (protocol grpc)"
trellis register --service echo --namespace demo --address 127.0.0.1 --port "$ECHO_PORT_1" --protocol grpc --zone z1 --id echo-1
trellis register --service echo --namespace demo --address 127.0.0.1 --port "$ECHO_PORT_2" --protocol grpc --zone z1 --id echo-2
trellis services

step "write a gRPC xDS bootstrap for the client"
trellis bootstrap --grpc --service client --namespace demo --xds "127.0.0.1:$XDS_PORT" --region r1 --zone z1 >"$DATA/client-bootstrap.json"
cat "$DATA/client-bootstrap.json"

call() {
  # The client reads JSON commands on stdin and answers JSON lines (first line: {"ready":true}).
  echo "{\"cmd\":\"call\",\"count\":$1,\"deadlineMs\":3000}" |
    GRPC_XDS_BOOTSTRAP="$DATA/client-bootstrap.json" node --import tsx test/e2e/fixtures/xds-client.ts --target echo.demo | tail -n 1
}

step "20 calls to xds:///echo.demo (both backends answer)"
call 20

step "deregister echo-1, call again (only echo-2 answers)"
trellis deregister --service echo --namespace demo --id echo-1
call 20

step "what Trellis knows about a connected client (versions sent / ACKed per type)"
# Keep one client connected for a few seconds so it shows up.
{ echo '{"cmd":"call","count":1,"deadlineMs":3000}'; sleep 4; } |
  GRPC_XDS_BOOTSTRAP="$DATA/client-bootstrap.json" node --import tsx test/e2e/fixtures/xds-client.ts --target echo.demo >/dev/null &
PIDS+=($!)
sleep 2.5
trellis status
