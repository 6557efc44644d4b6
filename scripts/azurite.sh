#!/usr/bin/env bash
# Local Azure Blob Storage emulator (Azurite) for developing and testing papyr-blob.
#
#   scripts/azurite.sh start    install (once, pinned) and start azurite-blob in the background
#   scripts/azurite.sh stop     stop the instance started for the same port and remove its data
#   scripts/azurite.sh status   exit 0 if the instance for the port is running
#
# Environment:
#   PAPYR_AZURITE_PORT   blob port to listen on (default 10000); each port is its own instance
#   PAPYR_AZURITE_WAIT   seconds to wait for the port to answer after starting (default 90)
#   PAPYR_AZURITE_STATE  folder for pid file, log and blob data
#                        (default ${TMPDIR:-/tmp}/papyr-azurite-<port>)
#
# The emulator accepts the published development account `devstoreaccount1`; see
# docs/storage.md for the matching storage URL.
set -euo pipefail

AZURITE_VERSION="3.37.0"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$root/.tools/azurite"
bin="$prefix/node_modules/.bin/azurite-blob"
port="${PAPYR_AZURITE_PORT:-10000}"
wait_secs="${PAPYR_AZURITE_WAIT:-90}"
state="${PAPYR_AZURITE_STATE:-${TMPDIR:-/tmp}/papyr-azurite-$port}"
pidfile="$state/azurite.pid"
logfile="$state/azurite.log"

die() {
    echo "azurite.sh: $*" >&2
    exit 1
}

port_answers() {
    # A bash /dev/tcp connect avoids depending on nc/curl being installed.
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

running_pid() {
    [[ -f "$pidfile" ]] || return 1
    local pid
    pid="$(cat "$pidfile")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

install() {
    command -v node >/dev/null 2>&1 || die "node is not installed; Azurite needs Node.js >= 18 (apt-get install nodejs npm)"
    command -v npm >/dev/null 2>&1 || die "npm is not installed; Azurite is installed with npm (apt-get install npm)"
    mkdir -p "$prefix"
    # Several test binaries may start emulators at once; only one of them may run npm.
    exec 9>"$prefix/.install.lock"
    flock -w 600 9 || die "timed out waiting for another Azurite install to finish"
    local installed=""
    if [[ -f "$prefix/node_modules/azurite/package.json" ]]; then
        installed="$(node -p "require('$prefix/node_modules/azurite/package.json').version" 2>/dev/null || true)"
    fi
    if [[ "$installed" != "$AZURITE_VERSION" || ! -x "$bin" ]]; then
        echo "azurite.sh: installing azurite@$AZURITE_VERSION into $prefix" >&2
        npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
            "azurite@$AZURITE_VERSION" >&2 || die "npm install azurite@$AZURITE_VERSION failed"
    fi
    flock -u 9
    exec 9>&-
}

start() {
    if pid="$(running_pid)"; then
        port_answers || die "Azurite (pid $pid) is running but port $port does not answer"
        echo "azurite.sh: already running on 127.0.0.1:$port (pid $pid)" >&2
        return 0
    fi
    if port_answers; then
        die "port $port is already in use by another program; set PAPYR_AZURITE_PORT"
    fi
    install
    mkdir -p "$state/data"
    # setsid detaches the emulator from the caller's process group so that the caller
    # (a test harness, a CI step) can exit while it keeps running until `stop`.
    setsid "$bin" --blobHost 127.0.0.1 --blobPort "$port" --location "$state/data" \
        --skipApiVersionCheck --silent --loose </dev/null >"$logfile" 2>&1 &
    local pid=$!
    echo "$pid" >"$pidfile"
    local deadline=$((SECONDS + wait_secs))
    until port_answers; do
        if ! kill -0 "$pid" 2>/dev/null; then
            cat "$logfile" >&2 || true
            rm -f "$pidfile"
            die "Azurite exited before listening on port $port (log above)"
        fi
        if ((SECONDS >= deadline)); then
            kill "$pid" 2>/dev/null || true
            rm -f "$pidfile"
            die "Azurite did not answer on port $port within ${wait_secs}s"
        fi
        sleep 0.2
    done
    echo "azurite.sh: Azurite $AZURITE_VERSION listening on http://127.0.0.1:$port/devstoreaccount1 (pid $pid)" >&2
}

stop() {
    if pid="$(running_pid)"; then
        kill "$pid" 2>/dev/null || true
        local deadline=$((SECONDS + 15))
        while kill -0 "$pid" 2>/dev/null; do
            if ((SECONDS >= deadline)); then
                kill -9 "$pid" 2>/dev/null || true
                break
            fi
            sleep 0.1
        done
        echo "azurite.sh: stopped Azurite on port $port (pid $pid)" >&2
    else
        echo "azurite.sh: no Azurite running for port $port" >&2
    fi
    # Only remove a folder this script laid out, never an arbitrary PAPYR_AZURITE_STATE.
    if [[ -d "$state/data" || -f "$pidfile" || -f "$logfile" ]]; then
        rm -rf "$state/data" "$pidfile" "$logfile"
        rmdir "$state" 2>/dev/null || true
    fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) running_pid >/dev/null && port_answers ;;
*)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
