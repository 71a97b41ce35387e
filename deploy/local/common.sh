# shellcheck shell=bash
# Shared helpers for deploy/local/*.sh (sourced, not executed).
# Services run without systemd: each is a background process with a pid file and a log under the cache dir.

# shellcheck disable=SC2034 # used by the scripts that source this file
VP_CACHE_DIR="${VOICEPULSE_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/voicepulse}"
export DEBIAN_FRONTEND=noninteractive

vp_log() { printf '[%s] %s\n' "${VP_SERVICE:-local}" "$*" >&2; }

# vp_die MESSAGE [LOGFILE...]: prints the message and the tail of each log, then exits non-zero.
vp_die() {
  local msg="$1"
  shift
  printf '[%s] ERROR: %s\n' "${VP_SERVICE:-local}" "$msg" >&2
  local f
  for f in "$@"; do
    if [[ -s "$f" ]]; then
      printf '[%s] ---- last 30 lines of %s ----\n' "${VP_SERVICE:-local}" "$f" >&2
      tail -n 30 "$f" >&2
    fi
  done
  exit 1
}

# vp_apt_install PKG...: installs missing Debian packages; refreshes the package lists only when
# they are empty, lack a candidate, or the first install attempt fails (stale lists on an old image).
vp_apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  command -v apt-get >/dev/null || vp_die "apt-get not found; install ${missing[*]} by hand"
  local sudo=()
  ((EUID == 0)) || sudo=(sudo -n)
  local apt=("${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 -y -q)
  local need_update=0
  for pkg in "${missing[@]}"; do
    apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [^(]' || need_update=1
  done
  if ((need_update)); then
    vp_log "apt-get update"
    "${apt[@]}" update >&2 || vp_die "apt-get update failed"
  fi
  vp_log "apt-get install ${missing[*]}"
  if ! "${apt[@]}" install --no-install-recommends "${missing[@]}" >&2; then
    vp_log "install failed; refreshing package lists and retrying once"
    "${apt[@]}" update >&2 || vp_die "apt-get update failed"
    "${apt[@]}" install --no-install-recommends "${missing[@]}" >&2 || vp_die "apt-get install ${missing[*]} failed"
  fi
}

# vp_pid_running PIDFILE [CMDLINE_WORD]: true when the pid file names a live process (whose command
# line contains CMDLINE_WORD, so a pid recycled after a reboot or a killed session does not count).
vp_pid_running() {
  local pid
  [[ -s "$1" ]] || return 1
  pid="$(<"$1")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  [[ -z "${2:-}" ]] || tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# vp_wait_until TIMEOUT_S COMMAND...: polls COMMAND every 0.5 s; false when it never succeeds in time.
vp_wait_until() {
  local timeout_s="$1"
  shift
  local deadline=$((SECONDS + timeout_s))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

# vp_start_background PIDFILE LOGFILE COMMAND...: runs COMMAND detached (own session, no inherited
# stdio, so it never holds a CI pipe open) and records its pid. LOGFILE starts empty each time, so a
# failure's tail shows this start only.
vp_start_background() {
  local pidfile="$1" logfile="$2"
  shift 2
  mkdir -p "$(dirname "$pidfile")" "$(dirname "$logfile")"
  setsid "$@" </dev/null >"$logfile" 2>&1 &
  local pid=$! deadline=$((SECONDS + 10))
  echo "$pid" >"$pidfile"
  # Until the forked shell has exec'ed the program, its cmdline is still bash's, and a caller's
  # vp_pid_running PIDFILE WORD would take a starting server for a dead one (seen under load).
  while kill -0 "$pid" 2>/dev/null && ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$1"; do
    ((SECONDS < deadline)) || break
    sleep 0.1
  done
}

# vp_stop_pidfile PIDFILE CMDLINE_WORD: SIGTERM, wait up to 30 s, then SIGKILL; removes the pid file.
vp_stop_pidfile() {
  local pidfile="$1" pid
  if ! vp_pid_running "$pidfile" "$2"; then
    rm -f "$pidfile"
    vp_log "not running"
    return 0
  fi
  pid="$(<"$pidfile")"
  vp_log "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  if ! vp_wait_until 30 eval "! kill -0 $pid 2>/dev/null"; then
    vp_log "still alive after 30 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    vp_wait_until 5 eval "! kill -0 $pid 2>/dev/null" || vp_die "pid $pid survived SIGKILL"
  fi
  rm -f "$pidfile"
  vp_log "stopped"
}

# vp_port_open HOST PORT: true when a TCP connect succeeds.
vp_port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
