#!/usr/bin/env bash
# A Docker Swarm of N engines on this machine, for trying and testing `levrt envd --backend swarm`.
#
#   scripts/swarm-lab.sh up [N] [--managers M]   N engines (default 3), M of them managers (default 1)
#   scripts/swarm-lab.sh up [N] --no-swarm       N standalone engines (fault tests restart them freely)
#   scripts/swarm-lab.sh status                  the running lab's nodes
#   scripts/swarm-lab.sh down                    stops it and removes everything it made
#   scripts/swarm-lab.sh stop-node I | start-node I   one node's engine stopped / started again
#   scripts/swarm-lab.sh recover-node I                one that would not start: its network db dropped, started
#
# Each engine is a dockerd in a network namespace of its own, on a bridge in the root namespace
# (so this host reaches every node's address; nothing in the lab has a route out of the machine).
# `up` and `status` print one line per node, managers first: NAME ADDRESS ENGINE.
# Needs root. Idempotent: `up` on a running lab of that shape only prints it; `down` on nothing is fine.
#
# Environment: LAB_NAME (default levlab: names namespaces, bridge, folders; several labs can coexist),
# LAB_SUBNET (a /24, default 10.79.0.0/24: outside levrt's pools 10.77/16 and 10.78/16 and Docker's
# 172.17-31/16, 192.168/16), LAB_IMAGES (images copied from the main engine into each node; default
# every levrt/* and levkit/* image it has).
set -euo pipefail

LAB=${LAB_NAME:-levlab}
SUBNET=${LAB_SUBNET:-10.79.0.0/24}
RUN=/run/$LAB
DATA=/var/lib/$LAB
BRIDGE=$LAB-br

say() { echo "swarm-lab: $*" >&2; }
die() { echo "swarm-lab: ERROR: $*" >&2; exit 1; }

[[ $LAB =~ ^[a-z][a-z0-9]{0,9}$ ]] \
  || die "LAB_NAME '$LAB' must be 1-10 lowercase letters/digits (it names interfaces)"
[[ $SUBNET =~ ^([0-9]+\.[0-9]+\.[0-9]+)\.0/24$ ]] \
  || die "LAB_SUBNET '$SUBNET' must be a /24 like 10.79.0.0/24"
PREFIX=${BASH_REMATCH[1]}

ns() { echo "$LAB-n$1"; }
addr() { echo "$PREFIX.$((10 + $1))"; }
sock() { echo "unix://$RUN/n$1/docker.sock"; }
dk() { local i=$1; shift; docker -H "$(sock "$i")" "$@"; }

# Node indexes of the namespaces that exist, in order.
nodes() {
  local n
  for n in /var/run/netns/"$LAB"-n*; do [[ -e $n ]] && echo "${n##*-n}"; done | sort -n
}

# NAME ADDRESS ENGINE per node, managers first; fails if any engine does not answer.
print_nodes() {
  local i managers=() workers=() role
  if [[ -e $RUN/standalone ]]; then
    for i in $(nodes); do
      dk "$i" version >/dev/null 2>&1 || die "engine $(ns "$i") does not answer (run: $0 down; $0 up)"
      echo "$(ns "$i") $(addr "$i") $(sock "$i")"
    done
    return 0
  fi
  for i in $(nodes); do
    role=$(dk "$i" info --format '{{.Swarm.ControlAvailable}} {{.Swarm.LocalNodeState}}' 2>/dev/null) \
      || die "engine $(ns "$i") does not answer (run: $0 down; $0 up)"
    [[ $role == *active ]] || die "engine $(ns "$i") is not in the swarm ($role)"
    if [[ $role == true* ]]; then managers+=("$i"); else workers+=("$i"); fi
  done
  ((${#managers[@]})) || die "no lab is running (run: $0 up)"
  for i in "${managers[@]}" "${workers[@]}"; do echo "$(ns "$i") $(addr "$i") $(sock "$i")"; done
}

# Whether the running lab has exactly N nodes, M of them managers, all answering.
has_shape() {
  local n=$1 m=$2 lines
  lines=$(print_nodes 2>/dev/null) || return 1
  [[ $(wc -l <<<"$lines") -eq $n ]] || return 1
  if ((m == 0)); then [[ -e $RUN/standalone ]]; return; fi
  [[ ! -e $RUN/standalone ]] || return 1
  [[ $(dk "$(nodes | head -1)" node ls --filter role=manager -q 2>/dev/null | wc -l) -eq $m ]]
}

forward_rule=(FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT)

start_node() {
  local i=$1 name; name=$(ns "$i")
  ip netns add "$name"
  ip link add "$LAB-v$i" type veth peer name eth0 netns "$name"
  ip link set "$LAB-v$i" master "$BRIDGE" up
  ip -n "$name" addr add "$(addr "$i")/24" dev eth0
  ip -n "$name" link set eth0 up
  ip -n "$name" link set lo up
  mkdir -p "$RUN/n$i" "$DATA/n$i"
  start_engine "$i"
}

start_engine() {
  local i=$1 name; name=$(ns "$i")
  # nsenter, not `ip netns exec` (which remounts /sys and hides the cgroup mounts); a UTS
  # namespace of its own so each node has its own host name in the swarm. Without a prefer-offline
  # pull policy every task first tries a registry (there is none) and waits for its timeout.
  setsid nsenter --net="/var/run/netns/$name" unshare --uts sh -c "hostname $name && exec env \
    DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 dockerd --data-root $DATA/n$i --exec-root $RUN/n$i/exec \
    --pidfile $RUN/n$i/docker.pid -H $(sock "$i") --cgroup-parent /$name --no-new-privileges \
    --log-driver json-file --log-opt max-size=1m --log-level warn" >"$RUN/n$i/dockerd.log" 2>&1 </dev/null &
  local t
  for t in $(seq 1 300); do
    dk "$i" version >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  # The reason (a Go panic's first lines, or a fatal line), and the whole log kept for later.
  local kept=/tmp/$name-dockerd-failed.log
  cp "$RUN/n$i/dockerd.log" "$kept" 2>/dev/null || true
  grep -m 6 -A 3 -E '^panic|level=fatal|failed to start' "$RUN/n$i/dockerd.log" >&2 || tail -n 20 "$RUN/n$i/dockerd.log" >&2
  die "engine $name did not start (log above; the whole log: $kept)"
}

# One node's engine, stopped or started again (it rejoins the swarm): a node lost and back.
node_engine() {
  local action=$1 i=${2:-}
  [[ $i =~ ^[0-9]+$ && -e /var/run/netns/$(ns "$i") ]] || die "usage: $0 $action-node I (a node of the lab)"
  if [[ $action == stop ]]; then stop_node "$i"; say "engine $(ns "$i") stopped"; return; fi
  if [[ $action == recover ]]; then
    # An engine that would not start again: stopped, its network database (which a killed dockerd
    # can leave unreadable) dropped, started. The lab's networks are lost; containers keep their data.
    stop_node "$i"
    rm -f "$DATA/n$i/network/files/local-kv.db"
    start_engine "$i"
    say "engine $(ns "$i") recovered"
    return
  fi
  dk "$i" version >/dev/null 2>&1 || start_engine "$i"
  say "engine $(ns "$i") is running"
}

load_images() {
  local images=${LAB_IMAGES:-}
  [[ -n $images ]] \
    || images=$(docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^(levrt|levkit)/' || true)
  [[ -n $images ]] || { say "no images to load"; return 0; }
  local tar=$DATA/images.tar i
  # shellcheck disable=SC2086 # a list of image names
  docker save -o "$tar" $images
  local pids=()
  for i in "$@"; do dk "$i" load -q -i "$tar" >/dev/null & pids+=($!); done
  for i in "${pids[@]}"; do wait "$i"; done
  rm -f "$tar"
  say "loaded $(wc -w <<<"$images") images into each node"
}

up() {
  local n=3 m=1 swarm=1
  while (($#)); do
    case $1 in
      --managers) m=${2:?--managers needs a number}; shift 2 ;;
      --no-swarm) swarm=0; shift ;;
      [0-9]*) n=$1; shift ;;
      *) die "unknown argument '$1' (usage: $0 up [N] [--managers M | --no-swarm])" ;;
    esac
  done
  [[ $n =~ ^[0-9]+$ && $m =~ ^[0-9]+$ ]] && ((n >= 1 && n <= 9 && m >= 1 && m <= n)) \
    || die "need 1 <= managers ($m) <= nodes ($n) <= 9"
  ((swarm)) || m=0
  if has_shape "$n" "$m"; then print_nodes; return 0; fi
  if [[ -n $(nodes) || -e /sys/class/net/$BRIDGE ]]; then
    say "a different or broken lab is up: removing it"
    down
  fi
  ip route | grep -v "dev $BRIDGE" | awk '{print $1}' | grep -q "^$PREFIX\." \
    && die "LAB_SUBNET $SUBNET is already routed on this host: choose another"
  ip link add "$BRIDGE" type bridge
  ip addr add "$PREFIX.1/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # The main engine sets FORWARD's policy to DROP; nodes talk to each other across the bridge.
  iptables -C "${forward_rule[@]}" 2>/dev/null || iptables -I "${forward_rule[@]}"
  local i all=()
  for i in $(seq 1 "$n"); do start_node "$i"; all+=("$i"); done
  say "started $n engines"
  load_images "${all[@]}"
  if ((!swarm)); then
    touch "$RUN/standalone"
    say "$n standalone engines are up"
    print_nodes
    return 0
  fi
  dk 1 swarm init --advertise-addr "$(addr 1)" --listen-addr "$(addr 1):2377" >/dev/null
  local worker manager
  worker=$(dk 1 swarm join-token -q worker)
  manager=$(dk 1 swarm join-token -q manager)
  for i in $(seq 2 "$n"); do
    local token=$worker; ((i <= m)) && token=$manager
    dk "$i" swarm join --token "$token" --advertise-addr "$(addr "$i")" --listen-addr "$(addr "$i"):2377" \
      "$(addr 1):2377" >/dev/null
  done
  for i in $(seq 1 100); do
    [[ $(dk 1 node ls --format '{{.Status}}' | grep -c Ready) -eq $n ]] && break
    sleep 0.2
  done
  say "swarm of $n nodes ($m managers) is up"
  print_nodes
}

stop_node() {
  local i=$1 pid t
  pid=$(cat "$RUN/n$i/docker.pid" 2>/dev/null || true)
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    # dockerd stops its containers (and its containerd) before it exits.
    for t in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { say "engine $(ns "$i") did not stop: killing it"; kill -KILL "$pid"; }
  fi
  # Shims of containers a killed engine left behind hold mounts: end them (they are ours alone).
  local shim
  for shim in $(pgrep -f "containerd-shim.*$RUN/n$i/" || true); do
    kill -KILL "$shim" 2>/dev/null || true
  done
  # A killed engine leaves its pid file: were the pid reused, the next start would refuse to run.
  rm -f "$RUN/n$i/docker.pid"
  # And its containers' mounts (a root filesystem left mounted makes their removal fail with EBUSY).
  awk -v a="$RUN/n$i" -v b="$DATA/n$i" '$2 ~ "^("a"|"b")/" {print $2}' /proc/mounts | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
  return 0
}

down() {
  local i
  local pids=()
  for i in $(nodes); do stop_node "$i" & pids+=($!); done
  for i in "${pids[@]}"; do wait "$i"; done
  # Mounts left under our folders (a killed engine's), deepest first.
  awk -v a="$RUN" -v b="$DATA" '$2 ~ "^("a"|"b")/" {print $2}' /proc/mounts | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
  for i in $(nodes); do
    ip link del "$LAB-v$i" 2>/dev/null || true
    ip netns del "$(ns "$i")"
  done
  [[ -e /sys/class/net/$BRIDGE ]] && ip link del "$BRIDGE"
  # The engines' cgroup parents (empty once their containers are gone), deepest first.
  find /sys/fs/cgroup/*/"$LAB"-n* -depth -type d -exec rmdir {} + 2>/dev/null || true
  while iptables -C "${forward_rule[@]}" 2>/dev/null; do iptables -D "${forward_rule[@]}"; done
  rm -rf "$RUN" "$DATA"
  say "lab $LAB is down"
}

[[ $(id -u) -eq 0 ]] || die "needs root (it makes network namespaces and runs dockerd)"
for c in dockerd docker nsenter unshare ip iptables; do
  command -v "$c" >/dev/null || die "$c is not installed"
done
cmd=${1:-}
shift || true
case $cmd in
  up) up "$@" ;;
  down) down ;;
  status) print_nodes ;;
  stop-node) node_engine stop "$@" ;;
  start-node) node_engine start "$@" ;;
  recover-node) node_engine recover "$@" ;;
  *) die "usage: $0 up [N] [--managers M | --no-swarm] | status | down | stop-node I | start-node I | recover-node I" ;;
esac
