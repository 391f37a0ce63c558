/**
 * What a refusal says: why, and what to write instead. One table, so the schema, the checks in
 * code and the README say the same thing.
 */

const HOST_NAMESPACE =
  'host namespaces are refused: an environment runs in its ' +
  'own network, pid, ipc and uts namespaces; delete it'
const NETWORKS_FIX =
  'delete it: every environment gets its own network, and services reach each other by service name'

export const PRIVILEGED =
  'privileged containers are refused: they own the host. A jail ' +
  'image (nsjail, pwn.red/jail) needs it only to build its own ' +
  'sandbox, and each player already has a container of ' +
  'their own: run the binary under socat or xinetd instead ' +
  '(README, "Jail images"), and delete privileged'

/** Keys refused for a reason, wherever the schema meets them (service level unless said). */
export const REFUSED: Readonly<Record<string, string>> = {
  privileged: PRIVILEGED,
  network_mode:
    `network_mode is refused: the service puts every ` + `environment on its own network (${HOST_NAMESPACE})`,
  pid: `pid is refused: ${HOST_NAMESPACE}`,
  ipc: `ipc is refused: ${HOST_NAMESPACE}`,
  uts: `uts is refused: ${HOST_NAMESPACE}`,
  userns_mode: `userns_mode is refused: ${HOST_NAMESPACE}`,
  cgroup_parent:
    'cgroup_parent is refused: the service sets the limits; ' +
    'delete it (mem_limit, cpus, pids_limit are accepted)',
  cgroup: 'cgroup is refused: the service sets the limits; delete it',
  devices: 'devices are refused: no host device is handed to an environment; delete it',
  device_cgroup_rules:
    'device_cgroup_rules are refused: no host device is handed to an environment; delete it',
  container_name:
    'container_name is refused: the service names containers, ' +
    'so many players can run one challenge; delete it',
  sysctls: 'sysctls are refused: they change the kernel for more than this container; delete it',
  volumes_from:
    'volumes_from is refused: share a named volume instead ' +
    '(declare it under the top-level volumes, mount it in both)',
  configs: 'configs are refused: COPY the files into the image',
  secrets:
    'secrets are refused: the flag comes through a flag ' +
    'volume or FLAG=${FLAG} in environment (README, "Flags")',
  extra_hosts: 'extra_hosts is refused: services reach each other by service name; delete it',
  dns: "dns is refused: the engine's resolver answers service names; delete it",
  external_links: 'external_links are refused: an environment reaches only its own services; delete it',
  isolation: 'isolation is refused: delete it',
  runtime: "runtime is refused: every environment runs under the engine's default runtime; delete it",
  oom_kill_disable: 'oom_kill_disable is refused: the memory limit must hold; delete it',
  oom_score_adj: 'oom_score_adj is refused: delete it',
  cap_add_all: 'cap_add ALL is refused',
  internal: `internal networks are refused: ${NETWORKS_FIX}`,
  ipam: `ipam is refused: addresses come from the service's pool; ${NETWORKS_FIX}`,
  external: `external networks are refused: an environment reaches only its own services; ${NETWORKS_FIX}`,
  driver_opts: `network options are refused: ${NETWORKS_FIX}`,
  enable_ipv6: `enable_ipv6 is refused: ${NETWORKS_FIX}`,
  attachable: `attachable is refused: ${NETWORKS_FIX}`,
  aliases: `network aliases are refused: ${NETWORKS_FIX}`,
  ipv4_address: `a fixed address is refused: addresses come from the service's pool; ${NETWORKS_FIX}`,
  ipv6_address: `a fixed address is refused: addresses come from the service's pool; ${NETWORKS_FIX}`,
  link_local_ips: `link_local_ips are refused: ${NETWORKS_FIX}`,
  mac_address: 'mac_address is refused: delete it',
}

export const NETWORK_DRIVER = `only the bridge driver is accepted (or no driver): ${NETWORKS_FIX}`
export const SEVERAL_NETWORKS = `an environment is one network: several networks are refused; ${NETWORKS_FIX}`
export const NETWORK_SKIPPED =
  `every service must join the one network (a service ` + `without networks joins "default"); ${NETWORKS_FIX}`

export const BIND =
  'bind mounts of host paths are refused (a compose task may ' +
  'run on any node, and a host path hands the container the ' +
  'host): COPY the files into the image, or use a named ' +
  'volume ("data:/path[:ro]" with data: declared under the ' +
  'top-level volumes) or tmpfs'
export const DOCKER_SOCKET =
  'the Docker socket is never mounted: it would hand the whole host to the container; delete it'
export const PORT =
  'a port is 80, "80/tcp" or {target: 80, protocol: tcp}, from ' +
  '1 to 65535; a published host port ("8080:80", published: ' +
  '8080) is refused: the service picks it from --ports, so write the container port alone'
export const IMAGE =
  'image must name a version: name:tag (a tag other than latest) or name@sha256:digest, e.g. nginx:1.25'
export const IMAGE_MISSING =
  'image is required: the service never builds (build is ignored); ' +
  'build the image on every node and name it here, e.g. ' +
  'image: my-challenge:1.0'
export const SECURITY_OPT =
  'only no-new-privileges (which every container gets anyway) ' +
  'is accepted; seccomp, apparmor and label options are ' +
  "refused: the engine's default profiles stay; delete it"
export const FLAG_OVER_SYSTEM =
  'a flag volume may not be mounted at / or over a system ' +
  'folder (/bin, /sbin, /usr, /lib, /lib64, /etc, /proc, /sys, ' +
  '/dev): mount it at its own folder, e.g. flag:/flag (the flag is then /flag/flag)'
export const FLAG_ELSEWHERE =
  'the flag can only go into an environment variable (environment: [FLAG=${FLAG}]) or a flag volume: ' +
  "in a command write $$FLAG, so the container's shell reads that variable"
export const NO_FLAG_PLACE =
  'the create gives a flag, but this file has no place for ' +
  'it: add FLAG=${FLAG} (or a bare FLAG) to the environment ' +
  'of the service that needs it, or mount a volume whose name contains "flag" (flag:/flag gives /flag/flag)'

/**
 * What a key's value should look like, for a value of the wrong shape (the schema library's own
 * words never reach an author).
 */
export const SHAPES: Readonly<Record<string, string>> = {
  services: 'services is a map of service names (letters, digits, _ . -) to services',
  image: IMAGE,
  ports: PORT,
  expose: 'expose is a list of ports (80 or "80/tcp")',
  volumes:
    'a volume is "name:/path[:ro]", "/path" (anonymous) or {type: volume|tmpfs, source, target}; ' + BIND,
  tmpfs: 'tmpfs is an absolute path or a list of them',
  environment: 'environment is a list of KEY=value (or a bare KEY) or a map of KEY: value',
  env_file: 'env_file is a file name beside the compose file, or a list of them (or of {path, required})',
  command: 'command is a string or a list of strings',
  entrypoint: 'entrypoint is a string or a list of strings',
  working_dir: 'working_dir is an absolute path',
  user: 'user is a name or uid[:gid]',
  hostname: 'hostname is a name of letters, digits, _ . -',
  restart: 'restart is one of no, always, on-failure[:N], unless-stopped',
  depends_on:
    'depends_on is a list of service names, or a map of service name to {condition: ' +
    'service_started | service_healthy | service_completed_successfully}',
  read_only: 'read_only is true or false',
  init: 'init is true or false',
  tty: 'tty is true or false',
  stdin_open: 'stdin_open is true or false',
  cap_drop: 'cap_drop is a list of capability names',
  labels: 'labels is a list of key=value or a map of key: value',
  links: 'links is a list of service names',
  networks: 'networks is a list of network names, or a map of network name to nothing ({} or empty)',
  healthcheck:
    'healthcheck is {test: "command" or [CMD, ...] or [CMD-SHELL, ' +
    '"command"], interval: 5s, timeout: 3s, retries: 3, ' +
    'start_period: 10s} or {disable: true}',
  stop_grace_period: 'stop_grace_period is a duration such as 10s or 1m30s',
  stop_signal: 'stop_signal is a signal name such as SIGTERM',
  security_opt: SECURITY_OPT,
  logging: "logging is {driver: ..., options: {...}} (it is replaced by the service's capped log)",
  mem_limit: 'mem_limit is a size: bytes, or a number with b, k, m or g (512m)',
  memswap_limit: 'memswap_limit is a size: bytes, or a number with b, k, m or g (512m)',
  shm_size: 'shm_size is a size: bytes, or a number with b, k, m or g (64m)',
  cpus: 'cpus is a number of CPUs (0.5, "1.5")',
  pids_limit: 'pids_limit is a number of processes',
  ulimits: 'ulimits is a map of nofile, nproc, core, stack or memlock to a number or {soft, hard}',
  deploy: 'deploy may only hold resources: {limits: {cpus, memory, pids}, reservations: ...}',
  version: 'version is a string',
  name: 'name is a string',
}

/** For a key the subset does not have. */
export function unsupported(key: string): string {
  return `${key} is not supported: delete it (README, "Compose policy", lists what an environment accepts)`
}
