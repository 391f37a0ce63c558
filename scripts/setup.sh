#!/usr/bin/env bash
# Prepares a machine for levrt: a running Docker engine, a static busybox, and the local images.
#
#   scripts/setup.sh          engine + levrt/busybox + levrt/node:20 + levrt/debian:bookworm + levkit/*
#   scripts/setup.sh --test   ... plus the FerretDB test image (needs Go)
#
# Idempotent: a second run only checks. Installs missing packages with apt-get when run as root.
# Progress goes to stderr, one line per thing done.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { echo "setup: $*" >&2; }
die() { echo "setup: ERROR: $*" >&2; exit 1; }

TEST=0
for arg in "$@"; do
  case $arg in
    --test) TEST=1 ;;
    *) die "unknown argument '$arg' (usage: scripts/setup.sh [--test])" ;;
  esac
done

can_apt() { [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; }

APT_UPDATED=0
APT_LOG=/var/log/levrt-apt.log
apt_install() {
  if ((!APT_UPDATED)); then
    apt-get update -qq >"$APT_LOG" 2>&1 || { tail -n 20 "$APT_LOG" >&2; die "apt-get update failed"; }
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >>"$APT_LOG" 2>&1 \
    || { tail -n 20 "$APT_LOG" >&2; die "apt-get install $* failed (log: $APT_LOG)"; }
  say "installed $* (apt)"
}

# --- Docker engine ------------------------------------------------------------------------------

# Prints the server version if the engine answers within 10 s.
engine_version() {
  command -v docker >/dev/null 2>&1 && timeout 10 docker info --format '{{.ServerVersion}}' 2>/dev/null
}

# Is $1 a live process named $2?
alive_as() { [[ -n $1 && -r /proc/$1/comm && $(cat "/proc/$1/comm" 2>/dev/null) == "$2" ]]; }

# A dockerd/containerd killed without cleanup leaves pid files that block (or mislead) the next start.
remove_stale_pidfile() { # file process-name
  local pid
  [[ -f $1 ]] || return 0
  pid=$(cat "$1" 2>/dev/null || true)
  if ! alive_as "$pid" "$2"; then
    rm -f "$1"
    say "removed stale $1 (pid ${pid:-?} is not a running $2)"
  fi
}

wait_for_engine() { # seconds [pid to watch]
  local deadline=$((SECONDS + $1)) version
  while ((SECONDS < deadline)); do
    if version=$(engine_version); then
      echo "$version"
      return 0
    fi
    if [[ -n ${2:-} ]] && ! kill -0 "$2" 2>/dev/null; then return 1; fi
    sleep 1
  done
  return 1
}

start_dockerd() {
  local dockerd pid version
  dockerd=$(command -v dockerd || echo /usr/sbin/dockerd)
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
    systemctl start docker >&2 || die "systemctl start docker failed (see: journalctl -u docker)"
    version=$(wait_for_engine 60) || die "docker.service started but the engine does not answer after 60 s"
    say "started docker.service (engine $version)"
    return
  fi
  remove_stale_pidfile /var/run/docker.pid dockerd
  remove_stale_pidfile /var/run/docker/containerd/containerd.pid containerd
  if [[ -f /var/run/docker.pid ]]; then
    # A live dockerd that does not answer yet: probably still starting.
    pid=$(cat /var/run/docker.pid)
    version=$(wait_for_engine 60 "$pid") || die "dockerd (pid $pid) is running but does not answer; see /var/log/levrt-dockerd.log"
    say "dockerd (pid $pid) came up (engine $version)"
    return
  fi
  nohup setsid "$dockerd" >/var/log/levrt-dockerd.log 2>&1 </dev/null &
  pid=$!
  version=$(wait_for_engine 60 "$pid") || {
    tail -n 20 /var/log/levrt-dockerd.log >&2 || true
    die "dockerd did not come up within 60 s (log: /var/log/levrt-dockerd.log)"
  }
  say "started dockerd (pid $pid, engine $version, log /var/log/levrt-dockerd.log)"
}

ensure_docker() {
  local version
  if version=$(engine_version); then
    say "docker engine $version is up"
    return
  fi
  if [[ -n ${DOCKER_HOST:-} ]]; then
    die "DOCKER_HOST=$DOCKER_HOST does not answer 'docker info'; start that engine or unset DOCKER_HOST"
  fi
  if ! can_apt; then
    die "no running Docker engine. Install Docker (Debian/Ubuntu: sudo apt-get install docker.io) and start it (sudo systemctl start docker, or sudo dockerd &), then re-run"
  fi
  if ! command -v docker >/dev/null 2>&1 || ! { command -v dockerd || [[ -x /usr/sbin/dockerd ]]; } >/dev/null 2>&1; then
    apt_install docker.io
    # The package's init script may have started it already.
    if version=$(engine_version); then
      say "docker engine $version is up"
      return
    fi
  fi
  start_dockerd
}

# --- busybox (the base of every levrt image) --------------------------------------------------

# ldd fails on a static binary; the image needs one, since it carries no libc for busybox.
have_static_busybox() {
  local b
  for b in /bin/busybox /usr/bin/busybox; do
    if [[ -x $b ]] && ! ldd "$b" >/dev/null 2>&1; then return 0; fi
  done
  return 1
}

ensure_busybox() {
  have_static_busybox && return 0
  can_apt || die "no static busybox at /bin/busybox. Install it (Debian/Ubuntu: sudo apt-get install busybox-static) and re-run"
  apt_install busybox-static
  have_static_busybox || die "busybox-static is installed but there is no static /bin/busybox"
}

# --- debootstrap (makes the levrt/debian:bookworm base of the tool images) ------------------------

have_debootstrap() { command -v debootstrap >/dev/null 2>&1 || [[ -x /usr/sbin/debootstrap ]]; }

# Only warns when it can't install: images.ts needs it only while the base image is not built yet.
ensure_debootstrap() {
  have_debootstrap && return 0
  if can_apt; then
    apt_install debootstrap
  else
    say "WARNING: no debootstrap; building levrt/debian:bookworm needs it (sudo apt-get install debootstrap)"
  fi
}

# --- images ---------------------------------------------------------------------------------------

build_images() {
  local ts_node=node_modules/.bin/ts-node
  [[ -x $ts_node ]] || die "node_modules is missing: run 'npm ci' first"
  if ((TEST)); then
    "$ts_node" --transpile-only scripts/images.ts --test
  else
    "$ts_node" --transpile-only scripts/images.ts
  fi
}

ensure_docker
ensure_busybox
ensure_debootstrap
build_images
