/**
 * A workflow module, like the seed's nmap module: three exports that scan with nmap in the
 * `levkit/nmap:1.0` image, read nmap's XML report inside the container (an entry), and store
 * what they found under `talentsec/nmap@1.0`.
 *
 *   npx levrt meta examples/nmap.ts
 *   npx levrt run examples/nmap.ts lab                         # nmap against a sidecar nginx and redis
 *   npx levrt run examples/nmap.ts portOs --param ip=172.17.0.5
 */
import { annot, Attck, BlackArch, Cr, remote, type CrOptions } from 'levrt'

const IMAGE = 'levkit/nmap:1.0'
const SCHEMA = 'talentsec/nmap@1.0'

/**
 * Runs inside the container with the image's node: nmap writes its XML report to stdout, and the
 * hosts, their open ports and service names are stored. Only node's own modules are at hand here.
 */
const scan = remote(async (lev, target: string, args: string[]) => {
  const { execFile } = require('node:child_process') as typeof import('node:child_process')
  const xml = await new Promise<string>((resolve, reject) => {
    const argv = [...args, '-oX', '-', ...target.split(/\s+/).filter(Boolean)]
    execFile('nmap', argv, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`nmap: ${stderr || err.message}`)) : resolve(stdout),
    )
  })
  const pick = (text: string, re: RegExp) => re.exec(text)?.[1]
  const hosts = [...xml.matchAll(/<host\b[\s\S]*?<\/host>/g)].map(([host]) => {
    const ports = [...host.matchAll(/<port protocol="(\w+)" portid="(\d+)">([\s\S]*?)<\/port>/g)].map(
      ([, protocol, port, body]) => ({
        port: Number(port),
        protocol,
        state: pick(body, /<state state="([^"]+)"/) ?? 'unknown',
        service: pick(body, /<service name="([^"]+)"/) ?? null,
        product: pick(body, /<service [^>]*product="([^"]+)"/) ?? null,
      }),
    )
    return {
      address: pick(host, /<address addr="([^"]+)" addrtype="ipv4"/) ?? null,
      hostname:
        pick(host, /<hostname name="([^"]+)" type="user"/) ?? pick(host, /<hostname name="([^"]+)"/) ?? null,
      status: pick(host, /<status state="([^"]+)"/) ?? 'unknown',
      os: pick(host, /<osmatch name="([^"]+)"/) ?? null,
      open: ports.filter((p) => p.state === 'open'),
    }
  })
  lev.set({
    target,
    hosts,
    open: hosts.flatMap((h) =>
      h.open.map((p) => `${h.hostname ?? h.address}:${p.port}/${p.protocol} ${p.service ?? '?'}`),
    ),
    nmap: pick(xml, /<nmaprun [^>]*\sversion="([^"]+)"/) ?? null,
  })
})

/** A Cr of nmap with `args` against `target` (addresses, ranges or host names, space-separated). */
export const nmap = (target: string, args: string[], options: Pick<CrOptions, 'services' | 'links'> = {}) =>
  new Cr(IMAGE, SCHEMA, { entry: scan(target, args), timeout: 10 * 60_000, ...options })

/** nmap's default scan, stored as found. */
export const raw = (ip: string) => nmap(ip, ['-Pn'])

/** Which hosts are up (a ping scan, no ports). */
export const alive = (ip: string) => nmap(ip, ['-sn'])

/** Open TCP ports with service names and versions, and an OS guess. */
export const portOs = (ip: string) => nmap(ip, ['-Pn', '-sV', '--version-light', '-O', '--osscan-guess'])

/** A lab to try it on: nmap scans a sidecar nginx and a sidecar redis, reached by their names. */
export const lab = () =>
  nmap('web redis', ['-Pn', '-sV', '--version-light', '-p', '1-1024,6379'], {
    services: {
      web: new Cr('levkit/nginx:1.0', { ports: [80] }),
      redis: new Cr('levkit/redis:1.0', { ports: [6379] }),
    },
  })

export const meta = annot.meta({
  exports: [raw, alive, portOs, lab],
  desc: 'detect surviving hosts in LAN, their open ports and services',
  params: [annot.param('ip', 'target ip to scan', { holder: '192.168.1.1/24' })],
  cats: { Attck: [Attck.Reconnaissance], BlackArch: [BlackArch.Scanner] },
  tags: ['nmap', 'scan'],
})
