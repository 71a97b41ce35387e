#!/usr/bin/env bash
# Stops the services deploy/local/up.sh started (Chromium has no daemon to stop).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
status=0
"$HERE/kafka.sh" stop || status=1
"$HERE/clickhouse.sh" stop || status=1
"$HERE/clickhouse-cluster.sh" stop || status=1
exit "$status"
