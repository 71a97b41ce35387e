#!/usr/bin/env bash
# VoicePulse scaled out on this machine, as separate processes: Kafka and the two ClickHouse shards
# (deploy/local/kafka.sh, clickhouse-cluster.sh), the cluster schema, two live pods
# (`voicepulse serve --kafka … --clickhouse …`, no sink of their own) and two sinks in one consumer
# group writing each call to its shard. The multi-process test (test/infra/cluster.test.ts) and
# `npm run bench -- cluster` run it; so can you.
# Usage: deploy/local/cluster.sh [start|stop|status|kill NAME]   (start is idempotent: it starts
# what is not running; kill sends SIGKILL to pod-a, pod-b, sink-1 or sink-2, as a crash would)
# Settings (environment): VOICEPULSE_TOKEN (else one is generated and kept), VOICEPULSE_CLUSTER_DIR
# (state, default <cache>/cluster), VOICEPULSE_CLUSTER_PORT_BASE (default 8180: pod-a 8180 / gRPC
# 8181, pod-b 8182 / 8183; sink metrics 8190, 8191), VOICEPULSE_KAFKA_TOPIC_PREFIX,
# VOICEPULSE_CLICKHOUSE_DATABASE (default voicepulse) and VOICEPULSE_SINK_GROUP (a test uses its own),
# VOICEPULSE_THREADS (scoring threads per pod, default 1), VOICEPULSE_DRAIN_SECONDS (default 10).
# Connection settings for clients: <dir>/cluster.env.
set -euo pipefail
VP_SERVICE=cluster
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=deploy/local/common.sh
source "$HERE/common.sh"

DIR="${VOICEPULSE_CLUSTER_DIR:-$VP_CACHE_DIR/cluster}"
BASE="${VOICEPULSE_CLUSTER_PORT_BASE:-8180}"
BROKERS="127.0.0.1:${VOICEPULSE_KAFKA_PORT:-9092}"
SHARD_BASE="${VOICEPULSE_CLICKHOUSE_SHARD_HTTP_BASE:-8130}"
SHARDS="http://127.0.0.1:$((SHARD_BASE + 1)),http://127.0.0.1:$((SHARD_BASE + 2))"
DATABASE="${VOICEPULSE_CLICKHOUSE_DATABASE:-voicepulse}"
START_TIMEOUT_S="${VOICEPULSE_CLUSTER_START_TIMEOUT_S:-120}"
PODS=(pod-a pod-b)
SINKS=(sink-1 sink-2)

http_port() { case "$1" in pod-a) echo "$BASE" ;; pod-b) echo $((BASE + 2)) ;; sink-1) echo $((BASE + 10)) ;; sink-2) echo $((BASE + 11)) ;; esac; }
# Each pod's query API reads through a different shard: either answers for the whole cluster.
shard_url() { case "$1" in pod-a) echo "${SHARDS%%,*}" ;; *) echo "${SHARDS##*,}" ;; esac; }
ready_url() { case "$1" in pod-*) echo "http://127.0.0.1:$(http_port "$1")/readyz" ;; *) echo "http://127.0.0.1:$(http_port "$1")/healthz" ;; esac; }
is_ready() { curl -fsS --max-time 2 "$(ready_url "$1")" >/dev/null 2>&1; }

token() {
  if [[ -n "${VOICEPULSE_TOKEN:-}" ]]; then
    echo "$VOICEPULSE_TOKEN"
  else
    [[ -s "$DIR/token" ]] || (umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$DIR/token")
    cat "$DIR/token"
  fi
}

start_one() {
  local name="$1" port pidfile="$DIR/$1.pid" log="$DIR/$1.log"
  port="$(http_port "$name")"
  if vp_pid_running "$pidfile" node; then
    vp_log "$name already running (pid $(<"$pidfile"))"
    return 0
  fi
  vp_port_open 127.0.0.1 "$port" && vp_die "port $port (for $name) is taken"
  # A subshell: the process's environment, without leaking into the next one.
  (
    export VOICEPULSE_TOKEN="$(token)" VOICEPULSE_KAFKA_BROKERS="$BROKERS" \
      VOICEPULSE_KAFKA_TOPIC_PREFIX="${VOICEPULSE_KAFKA_TOPIC_PREFIX:-}" \
      VOICEPULSE_CLICKHOUSE_DATABASE="$DATABASE" VOICEPULSE_CLICKHOUSE_MIGRATE=false \
      VOICEPULSE_LOG_LEVEL="${VOICEPULSE_LOG_LEVEL:-info}"
    if [[ "$name" == pod-* ]]; then
      # The pods share one recordings spool, as on k8s (a ReadWriteMany volume).
      export VOICEPULSE_POD_ID="$name" VOICEPULSE_SERVE_SINK=false VOICEPULSE_RECORDINGS_DIR="$DIR/recordings" \
        VOICEPULSE_DRAIN_SECONDS="${VOICEPULSE_DRAIN_SECONDS:-10}"
      vp_start_background "$pidfile" "$log" node "$ROOT/bin/voicepulse.js" serve --host 127.0.0.1 \
        --port "$port" --grpc-port $((port + 1)) --threads "${VOICEPULSE_THREADS:-1}" \
        --clickhouse "$(shard_url "$name")"
    else
      export VOICEPULSE_CLICKHOUSE_URL="${SHARDS%%,*}" VOICEPULSE_CLICKHOUSE_SHARDS="$SHARDS" \
        VOICEPULSE_METRICS_PORT="$port"
      vp_start_background "$pidfile" "$log" node "$ROOT/bin/run-ts.js" "$ROOT/services/sink/main.ts"
    fi
  )
  vp_log "$name started (pid $(<"$pidfile")), log $log"
}

start() {
  mkdir -p "$DIR"
  "$HERE/kafka.sh" start
  "$HERE/clickhouse-cluster.sh" start
  node "$ROOT/bin/run-ts.js" "$ROOT/core/clickhouse/cluster-apply.ts" --shards "$SHARDS" \
    --database "$DATABASE" --unreplicated >&2
  local name
  for name in "${SINKS[@]}" "${PODS[@]}"; do start_one "$name"; done
  for name in "${SINKS[@]}" "${PODS[@]}"; do
    vp_wait_until "$START_TIMEOUT_S" is_ready "$name" ||
      vp_die "$name not ready at $(ready_url "$name") within ${START_TIMEOUT_S}s" "$DIR/$name.log"
  done
  cat >"$DIR/cluster.env" <<ENV
export VOICEPULSE_CLUSTER_TOKEN=$(token)
export VOICEPULSE_CLUSTER_POD_A=http://127.0.0.1:$(http_port pod-a)
export VOICEPULSE_CLUSTER_POD_B=http://127.0.0.1:$(http_port pod-b)
export VOICEPULSE_CLUSTER_GRPC_A=127.0.0.1:$(($(http_port pod-a) + 1))
export VOICEPULSE_CLUSTER_GRPC_B=127.0.0.1:$(($(http_port pod-b) + 1))
export VOICEPULSE_CLUSTER_SHARDS=$SHARDS
export VOICEPULSE_CLUSTER_DATABASE=$DATABASE
export VOICEPULSE_CLUSTER_BROKERS=$BROKERS
export VOICEPULSE_CLUSTER_TOPIC_PREFIX=${VOICEPULSE_KAFKA_TOPIC_PREFIX:-}
export VOICEPULSE_CLUSTER_DIR=$DIR
ENV
  vp_log "ready: pods $(http_port pod-a), $(http_port pod-b); sinks in group voicepulse-sink; settings in $DIR/cluster.env"
}

stop() {
  local name status=0
  for name in "${PODS[@]}" "${SINKS[@]}"; do
    VP_SERVICE="$name" vp_stop_pidfile "$DIR/$name.pid" node || status=1
  done
  return "$status"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status)
    down=0
    for name in "${PODS[@]}" "${SINKS[@]}"; do
      if is_ready "$name"; then vp_log "$name ready"; else vp_log "$name down" && down=1; fi
    done
    exit "$down"
    ;;
  kill)
    name="${2:-}"
    [[ " ${PODS[*]} ${SINKS[*]} " == *" $name "* ]] || vp_die "usage: $0 kill pod-a|pod-b|sink-1|sink-2"
    vp_pid_running "$DIR/$name.pid" node || vp_die "$name is not running"
    kill -KILL "$(<"$DIR/$name.pid")"
    vp_log "$name killed (SIGKILL)"
    ;;
  *) vp_die "usage: $0 [start|stop|status|kill NAME]" ;;
esac
