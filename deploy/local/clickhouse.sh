#!/usr/bin/env bash
# Local ClickHouse (Debian's clickhouse-server 18.16) for tests and dev, run without systemd.
# Usage: deploy/local/clickhouse.sh [start|stop|status]   (default: start; start is idempotent)
# HTTP on 127.0.0.1:8123, native protocol on 127.0.0.1:9000; data, config and logs under the cache dir.
# Another instance beside it (the shards of deploy/local/clickhouse-cluster.sh): set
# VOICEPULSE_CLICKHOUSE_INSTANCE (its folder under the cache dir), the two ports, and optionally
# VOICEPULSE_CLICKHOUSE_CONFIG_D, an XML file merged into its config (config.d/, e.g. remote_servers).
set -euo pipefail
VP_SERVICE="${VOICEPULSE_CLICKHOUSE_INSTANCE:-clickhouse}"
# shellcheck source=deploy/local/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

HTTP_PORT="${VOICEPULSE_CLICKHOUSE_HTTP_PORT:-8123}"
TCP_PORT="${VOICEPULSE_CLICKHOUSE_TCP_PORT:-9000}"
START_TIMEOUT_S="${VOICEPULSE_CLICKHOUSE_START_TIMEOUT_S:-60}"
DIR="$VP_CACHE_DIR/${VOICEPULSE_CLICKHOUSE_INSTANCE:-clickhouse}"
CONFIG_D="${VOICEPULSE_CLICKHOUSE_CONFIG_D:-}"
PIDFILE="$DIR/clickhouse-server.pid"
LOG="$DIR/log/clickhouse-server.log"
ERRLOG="$DIR/log/clickhouse-server.err.log"
STDOUT_LOG="$DIR/log/stdout.log"
URL="http://127.0.0.1:$HTTP_PORT"

ping_ok() { [[ "$(curl -fsS --max-time 2 "$URL/ping" 2>/dev/null)" == "Ok." ]]; }

write_config() {
  mkdir -p "$DIR"/{data,tmp,user_files,format_schemas,log,config.d}
  rm -f "$DIR"/config.d/*.xml
  [[ -z "$CONFIG_D" ]] || cp "$CONFIG_D" "$DIR/config.d/"
  # Own minimal config: loopback only, paths under $DIR, small caches (the packaged one wants 13 GB).
  cat >"$DIR/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger>
    <level>information</level>
    <log>$LOG</log>
    <errorlog>$ERRLOG</errorlog>
    <size>50M</size>
    <count>2</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$HTTP_PORT</http_port>
  <tcp_port>$TCP_PORT</tcp_port>
  <max_connections>1024</max_connections>
  <keep_alive_timeout>3</keep_alive_timeout>
  <max_concurrent_queries>100</max_concurrent_queries>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <mark_cache_size>268435456</mark_cache_size>
  <path>$DIR/data/</path>
  <tmp_path>$DIR/tmp/</tmp_path>
  <user_files_path>$DIR/user_files/</user_files_path>
  <format_schema_path>$DIR/format_schemas/</format_schema_path>
  <users_config>$DIR/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
  <max_table_size_to_drop>0</max_table_size_to_drop>
  <max_partition_size_to_drop>0</max_partition_size_to_drop>
</yandex>
XML
  # Passwordless "default" user reachable from loopback only.
  cat >"$DIR/users.xml" <<'XML'
<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <max_memory_usage>2000000000</max_memory_usage>
      <load_balancing>random</load_balancing>
    </default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas>
    <default>
      <interval>
        <duration>3600</duration>
        <queries>0</queries>
        <errors>0</errors>
        <result_rows>0</result_rows>
        <read_rows>0</read_rows>
        <execution_time>0</execution_time>
      </interval>
    </default>
  </quotas>
</yandex>
XML
}

start() {
  if ping_ok; then
    if vp_pid_running "$PIDFILE" clickhouse-server; then
      vp_log "already running (pid $(<"$PIDFILE")) at $URL"
    else
      vp_log "a ClickHouse server not started by this script already answers at $URL; using it"
    fi
    return 0
  fi
  if vp_pid_running "$PIDFILE" clickhouse-server; then
    vp_log "pid $(<"$PIDFILE") exists but $URL/ping does not answer; waiting for it"
  else
    vp_port_open 127.0.0.1 "$HTTP_PORT" && vp_die "port $HTTP_PORT is taken by something that is not ClickHouse"
    vp_apt_install clickhouse-server clickhouse-client curl
    write_config
    vp_log "starting clickhouse-server ($(dpkg-query -W -f='${Version}' clickhouse-server)), data in $DIR"
    vp_start_background "$PIDFILE" "$STDOUT_LOG" clickhouse-server --config-file="$DIR/config.xml"
  fi
  local started=$SECONDS
  if ! vp_wait_until "$START_TIMEOUT_S" ping_ok; then
    vp_pid_running "$PIDFILE" clickhouse-server || vp_die "clickhouse-server exited during start-up" "$STDOUT_LOG" "$ERRLOG" "$LOG"
    vp_die "no 'Ok.' from $URL/ping within ${START_TIMEOUT_S}s" "$STDOUT_LOG" "$ERRLOG" "$LOG"
  fi
  vp_log "up at $URL (native :$TCP_PORT) after $((SECONDS - started))s"
}

case "${1:-start}" in
  start) start ;;
  stop) vp_stop_pidfile "$PIDFILE" clickhouse-server ;;
  status)
    if ping_ok; then vp_log "up at $URL"; else vp_log "down" && exit 1; fi
    ;;
  *) vp_die "usage: $0 [start|stop|status]" ;;
esac
