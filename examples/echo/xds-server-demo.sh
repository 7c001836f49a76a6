#!/usr/bin/env bash
# xDS-enabled gRPC server demo (gRFC A36): an echo server takes its Listener from Trellis and is
# registered automatically from its node metadata; a proxyless client then reaches it.
# Run from anywhere: examples/echo/xds-server-demo.sh. Env as in demo.sh; ECHO_PORT (50061).
set -euo pipefail
cd "$(dirname "$0")/../.."

XDS_PORT=${XDS_PORT:-18000}
API_PORT=${API_PORT:-18001}
ECHO_PORT=${ECHO_PORT:-50061}
DATA=${TRELLIS_DATA:-$(mktemp -d -t trellis-xds-server-demo-XXXXXX)}
export TRELLIS_DATA=$DATA
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM
trellis() { node bin/trellis.mjs "$@"; }

rm -f "$DATA/server.json"
node bin/trellis.mjs serve --data "$DATA" --xds "127.0.0.1:$XDS_PORT" --api "127.0.0.1:$API_PORT" --proxy-grace 2s >"$DATA/trellis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [[ -f "$DATA/server.json" ]] && break; sleep 0.1; done
[[ -f "$DATA/server.json" ]] || { cat "$DATA/trellis.log"; exit 1; }

# The server's node metadata carries trellis.address/trellis.port = the address it binds.
trellis bootstrap --grpc --service echo --namespace demo --xds "127.0.0.1:$XDS_PORT" \
  --address 127.0.0.1 --port "$ECHO_PORT" --protocol grpc --region r1 --zone z1 >"$DATA/server-bootstrap.json"
GRPC_XDS_BOOTSTRAP="$DATA/server-bootstrap.json" node --import tsx test/e2e/fixtures/echo-server.ts --xds --id xds-echo --port "$ECHO_PORT" &
PIDS+=($!)
sleep 3   # it prints {"ready":true,...} once Trellis sent its Listener

trellis services
trellis bootstrap --grpc --service client --namespace demo --xds "127.0.0.1:$XDS_PORT" --region r1 --zone z1 >"$DATA/client-bootstrap.json"
echo '{"cmd":"call","count":10,"deadlineMs":3000}' |
  GRPC_XDS_BOOTSTRAP="$DATA/client-bootstrap.json" node --import tsx test/e2e/fixtures/xds-client.ts --target echo.demo | tail -n 1
trellis status
