#!/usr/bin/env bash
# A local ClickHouse cluster of two shards (no replicas): two more clickhouse-server processes of
# Debian's package, each run by deploy/local/clickhouse.sh with its own folder and ports, and a
# `remote_servers` entry naming both as the cluster `voicepulse`. The schema is not applied here:
# `node bin/run-ts.js core/clickhouse/cluster-apply.ts` applies deploy/clickhouse/cluster's DDL to both.
# Usage: deploy/local/clickhouse-cluster.sh [start|stop|status]   (default: start; idempotent)
# Shard n: HTTP 127.0.0.1:${VOICEPULSE_CLICKHOUSE_SHARD_HTTP_BASE:-8130}+n, native :${VOICEPULSE_CLICKHOUSE_SHARD_TCP_BASE:-9130}+n.
# Replication (ZooKeeper / ClickHouse Keeper, Replicated* tables) is for production: deploy/README.md.
set -euo pipefail
VP_SERVICE=clickhouse-cluster
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/common.sh
source "$HERE/common.sh"

HTTP_BASE="${VOICEPULSE_CLICKHOUSE_SHARD_HTTP_BASE:-8130}"
TCP_BASE="${VOICEPULSE_CLICKHOUSE_SHARD_TCP_BASE:-9130}"
SHARDS=(1 2)
REMOTE_SERVERS="$VP_CACHE_DIR/clickhouse-cluster/remote_servers.xml"

# Every shard knows the whole cluster: a Distributed table on either reads both.
write_remote_servers() {
  mkdir -p "$(dirname "$REMOTE_SERVERS")"
  {
    echo '<?xml version="1.0"?>'
    echo '<yandex><remote_servers><voicepulse>'
    for n in "${SHARDS[@]}"; do
      echo "  <shard><replica><host>127.0.0.1</host><port>$((TCP_BASE + n))</port></replica></shard>"
    done
    echo '</voicepulse></remote_servers></yandex>'
  } >"$REMOTE_SERVERS"
}

each_shard() {
  local action="$1" n
  for n in "${SHARDS[@]}"; do
    VOICEPULSE_CLICKHOUSE_INSTANCE="clickhouse-shard$n" \
      VOICEPULSE_CLICKHOUSE_HTTP_PORT=$((HTTP_BASE + n)) \
      VOICEPULSE_CLICKHOUSE_TCP_PORT=$((TCP_BASE + n)) \
      VOICEPULSE_CLICKHOUSE_CONFIG_D="$REMOTE_SERVERS" \
      "$HERE/clickhouse.sh" "$action"
  done
}

case "${1:-start}" in
  start)
    write_remote_servers
    each_shard start
    vp_log "shards (in remote_servers order): $(for n in "${SHARDS[@]}"; do printf 'http://127.0.0.1:%s ' $((HTTP_BASE + n)); done)"
    ;;
  stop) each_shard stop ;;
  status) each_shard status ;;
  *) vp_die "usage: $0 [start|stop|status]" ;;
esac
