import type Dockerode from 'dockerode'

/** Where players reach a node, when it is not the node's swarm address (NAT, a public address). */
export const NODE_IP_LABEL = 'io.levrt.node-ip'

export interface SwarmNode {
  readonly id: string
  readonly name: string
  /** The players' address: the node's `io.levrt.node-ip` label, else its swarm address. */
  readonly address: string
  /** The node's own swarm address (the same as `address` without the label). */
  readonly swarmAddress: string
  /** ready, down, unknown, disconnected */
  readonly state: string
  /** active, pause, drain */
  readonly availability: string
  readonly role: string
}

/** The node list, as the swarm's manager sees it. */
export async function listNodes(docker: Dockerode): Promise<SwarmNode[]> {
  const nodes = (await docker.listNodes()) as RawNode[]
  return nodes.map(toNode).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
}

/** Whether the engine is a manager of an active swarm (then environments go to the swarm). */
export async function isSwarmManager(docker: Dockerode): Promise<boolean> {
  const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } }
  return info.Swarm?.LocalNodeState === 'active' && info.Swarm.ControlAvailable === true
}

interface RawNode {
  ID: string
  Spec?: { Labels?: Record<string, string>; Availability?: string; Role?: string }
  Description?: { Hostname?: string }
  Status?: { State?: string; Addr?: string }
  ManagerStatus?: { Addr?: string }
}

function toNode(n: RawNode): SwarmNode {
  return {
    id: n.ID,
    name: n.Description?.Hostname ?? n.ID,
    address: n.Spec?.Labels?.[NODE_IP_LABEL] || swarmAddress(n),
    swarmAddress: swarmAddress(n),
    state: n.Status?.State ?? 'unknown',
    availability: n.Spec?.Availability ?? 'unknown',
    role: n.Spec?.Role ?? 'unknown',
  }
}

/** A manager listening on every address reports 0.0.0.0: its manager address says which. */
function swarmAddress(n: RawNode): string {
  const addr = n.Status?.Addr ?? ''
  if (addr && addr !== '0.0.0.0') return addr
  return n.ManagerStatus?.Addr?.replace(/:\d+$/, '') ?? addr
}
