/**
 * What the node guard runs on every node (busybox sh, in the node's network namespace, the
 * node's own iptables through `chroot /host`). Two chains per instance, jumped to first thing:
 *
 * - `<chain>-I` from INPUT for packets coming in on docker_gwbridge (the bridge every swarm task
 *   with a way out is on): to the node itself, only replies to the node's own connections pass;
 * - `<chain>-F` from DOCKER-USER for packets forwarded from docker_gwbridge: to the swarm's nodes
 *   and envd's host (their engines, swarm ports, VXLAN, envd), only replies pass.
 *
 * Published ports are forwarded *to* docker_gwbridge, never from it, so players still reach them.
 * Rules are put back if something (an engine restart) removes a jump; on SIGTERM (the service
 * removed) everything is removed. Environment: CHAIN, INSTANCE, ADDRESSES (space separated).
 */
export const GUARD_SCRIPT = `
ipt() { chroot /host iptables -w "$@"; }
IN="$CHAIN-I"; FW="$CHAIN-F"; TAG="levrt-envd:instance=$INSTANCE"
jump_in() { ipt "$1" INPUT $2 -i docker_gwbridge -m comment --comment "$TAG" -j "$IN"; }
jump_fw() { ipt "$1" DOCKER-USER $2 -i docker_gwbridge -m comment --comment "$TAG" -j "$FW"; }
chain() {
  ipt -N "$1" 2>/dev/null || ipt -F "$1"
  ipt -A "$1" -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN
}
install() {
  chain "$IN"
  ipt -A "$IN" -j DROP
  chain "$FW"
  for a in $ADDRESSES; do ipt -A "$FW" -d "$a" -j DROP; done
  jump_in -C 2>/dev/null || jump_in -I 1
  jump_fw -C 2>/dev/null || jump_fw -I 1
}
remove() {
  while jump_in -C 2>/dev/null; do jump_in -D; done
  while jump_fw -C 2>/dev/null; do jump_fw -D; done
  for c in "$IN" "$FW"; do ipt -F "$c" 2>/dev/null; ipt -X "$c" 2>/dev/null; done
}
trap 'remove; exit 0' TERM INT
install || { echo "levrt node guard: iptables failed" >&2; remove; exit 1; }
while :; do
  sleep 5 & wait $!
  if ! jump_in -C 2>/dev/null || ! jump_fw -C 2>/dev/null; then install; fi
done
`

/** The guard's health: its jumps are in place (a task is `running` only once they are). */
export const GUARD_HEALTH = `
chroot /host iptables -w -C INPUT -i docker_gwbridge -m comment --comment "levrt-envd:instance=$INSTANCE" -j "$CHAIN-I" &&
chroot /host iptables -w -C DOCKER-USER -i docker_gwbridge -m comment --comment "levrt-envd:instance=$INSTANCE" -j "$CHAIN-F"
`
