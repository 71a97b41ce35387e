#!/usr/bin/env bash
# Stops the services deploy/local/up.sh started (Chromium has no daemon to stop), and the pods and
# sinks of deploy/local/cluster.sh when they run.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
status=0
"$HERE/cluster.sh" stop || status=1
"$HERE/kafka.sh" stop || status=1
"$HERE/clickhouse.sh" stop || status=1
"$HERE/clickhouse-cluster.sh" stop || status=1
exit "$status"
