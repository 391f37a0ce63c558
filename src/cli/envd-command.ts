import { Command } from 'commander'
import { envdCheckCommand } from './envd-check-command'
import { envdNodesCommand } from './envd-nodes-command'
import { describeFailure } from './failure'
import { configure } from './help'
import { EXIT, UsageError, type ExitCode } from './usage'

interface EnvdFlags {
  listen: string
  data: string
  nodeIp?: string
  bindIp: string
  ports: string
  reapEvery: string
  maxPerUid: string
  maxTotal?: string
  maxLifetime: string
  readyTimeout: string
  cpus: string
  memory: string
  pids: string
  capAdd?: string
  capAllow?: string
  blockEgress?: boolean
  proxyImage: string
  instance: string
  subnetPool?: string
  insecureNoToken?: boolean
  nodeIsolation: boolean
  logLevel: string
  backend?: string
}

/** `levrt envd [options]`: the environment service (API.md, seed 002). Runs until SIGINT or SIGTERM. */
export function envdCommand(finish: (code: ExitCode) => void): Command {
  return (
    configure(new Command('envd'))
      .usage('[options]')
      .summary('the environment service: per-player challenge environments over HTTP')
      .description(
        'Serves POST /env/create, GET /env/get/<id>, POST /env/renew/<id>, GET /env/delete/<id>, GET /env/list and GET /health. ' +
          'Compose files are read from <data>/compose/, flags written under <data>/flags/; state goes to the levrt store ' +
          '(LEV_MONGO_URL, else the embedded store in LEV_HOME). With LEVRT_ENVD_TOKEN set, requests need Authorization: Bearer <token>; ' +
          'a --listen address other than loopback needs it. Challenge containers cannot reach the node itself (iptables INPUT rules). ' +
          'SIGINT/SIGTERM close the server; environments keep running and are picked up by the next start.',
      )
      .option('--listen <address:port>', 'where the HTTP API listens', '127.0.0.1:5000')
      .option('--data <dir>', 'data folder: compose/ (input) and flags/', './data')
      .option(
        '--node-ip <address>',
        "what node_ip reports: the address players reach this node at (default: this host's first external IPv4)",
      )
      .option('--bind-ip <address>', 'host address published ports bind to', '0.0.0.0')
      .option('--ports <first-last>', 'host ports environments are published on', '30000-31999')
      .option('--reap-every <seconds>', 'seconds between reclaims of expired environments (and sweeps)', '30')
      .option('--max-per-uid <n>', 'live environments one uid may have', '5')
      .option('--max-total <n>', 'live environments in all (default: 1000, or the ports of --ports if fewer)')
      .option(
        '--max-lifetime <seconds>',
        'longest an environment lives from its creation, renewals included',
        '21600',
      )
      .option('--ready-timeout <seconds>', 'how long the exposed port may take to accept connections', '60')
      .option('--cpus <n>', 'CPU limit of each container', '0.5')
      .option('--memory <size>', 'memory limit of each container (e.g. 256m)', '256m')
      .option('--pids <n>', 'process limit of each container', '128')
      .option(
        '--cap-add <caps>',
        'capabilities every container keeps after cap_drop ALL (comma-separated; default CHOWN,DAC_OVERRIDE,FOWNER,SETGID,SETUID,NET_BIND_SERVICE,KILL)',
      )
      .option(
        '--cap-allow <caps>',
        "what a compose file's cap_add may add (comma-separated; default Docker's set less MKNOD and NET_RAW)",
      )
      .option(
        '--block-egress',
        'uid networks get no way out; the published port goes through a forwarding container',
      )
      .option(
        '--proxy-image <image>',
        'the forwarder image for --block-egress, and the node guard on swarm (busybox: nc, sh, chroot)',
        'levrt/busybox:latest',
      )
      .option(
        '--instance <name>',
        'names this service on the engine and in the store (several services, one engine)',
        'default',
      )
      .option(
        '--subnet-pool <range:prefix>',
        'address pool of the uid networks (default LEVRT_ENVD_SUBNET_POOL, else 10.78.0.0/16:27)',
      )
      .option(
        '--insecure-no-token',
        'listen on a non-loopback address without LEVRT_ENVD_TOKEN (something else guards the API)',
      )
      .option(
        '--no-node-isolation',
        'install no firewall rules (swarm: no node guard): challenge containers may reach the node (you firewall it yourself)',
      )
      .option('--log-level <level>', 'pino log level', 'info')
      .option(
        '--backend <docker|swarm>',
        'where environments run (default: swarm when DOCKER_HOST is a swarm manager, else docker)',
      )
      .action(async (flags: EnvdFlags) => finish(await serve(flags)))
      // `check`'s own --cpus/--memory/--pids are its own, not the service's.
      .enablePositionalOptions()
      .addCommand(envdCheckCommand(finish))
      .addCommand(envdNodesCommand(finish))
  )
}

async function serve(flags: EnvdFlags): Promise<ExitCode> {
  // Loaded here: `levrt --help` need not load Fastify, the engine and the store.
  const { startEnvd, resolveOptions, EnvdOptionsError, NodeIsolationError } = await import('../envd')
  let options
  try {
    options = resolveOptions(flags)
  } catch (err) {
    if (err instanceof EnvdOptionsError) throw new UsageError(err.message)
    throw err
  }
  let envd
  try {
    envd = await startEnvd(options)
  } catch (err) {
    // Refusing to run without node isolation is a set-up problem, like a bad option.
    if (err instanceof NodeIsolationError) throw new UsageError(err.message)
    process.stderr.write(`levrt envd: ${describeFailure(err)}\n`)
    return EXIT.failed
  }
  process.stderr.write(
    `levrt envd: listening on ${envd.url} (data ${options.dataDir}, ports ${options.ports.first}-${options.ports.last})\n`,
  )
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  process.stderr.write(`levrt envd: ${signal}: closing (environments stay)\n`)
  await envd.close()
  return EXIT.done
}
