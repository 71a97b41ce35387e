#!/usr/bin/env bash
# Starts every local dependency the tests and a dev run need: ClickHouse, a two-shard ClickHouse
# cluster, Kafka, headless Chromium.
# Idempotent. Writes the connection settings tests read to $VOICEPULSE_SERVICES_ENV
# (default <cache>/services.env) and prints them; `source` that file to use them.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/common.sh
source "$HERE/common.sh"

ENV_FILE="${VOICEPULSE_SERVICES_ENV:-$VP_CACHE_DIR/services.env}"

timed() {
  local name="$1" started=$SECONDS
  shift
  "$@"
  vp_log "$name ready in $((SECONDS - started))s"
}

timed clickhouse "$HERE/clickhouse.sh" start
timed clickhouse-cluster "$HERE/clickhouse-cluster.sh" start
timed kafka "$HERE/kafka.sh" start
chromium_path="$(timed chromium "$HERE/chromium.sh")"

mkdir -p "$(dirname "$ENV_FILE")"
cat >"$ENV_FILE" <<ENV
export VOICEPULSE_TEST_CLICKHOUSE_URL=http://127.0.0.1:${VOICEPULSE_CLICKHOUSE_HTTP_PORT:-8123}
export VOICEPULSE_TEST_CLICKHOUSE_SHARDS=http://127.0.0.1:$((${VOICEPULSE_CLICKHOUSE_SHARD_HTTP_BASE:-8130} + 1)),http://127.0.0.1:$((${VOICEPULSE_CLICKHOUSE_SHARD_HTTP_BASE:-8130} + 2))
export VOICEPULSE_TEST_KAFKA_BROKERS=127.0.0.1:${VOICEPULSE_KAFKA_PORT:-9092}
export VOICEPULSE_TEST_CHROMIUM=$chromium_path
ENV
vp_log "connection settings in $ENV_FILE:"
cat "$ENV_FILE"
