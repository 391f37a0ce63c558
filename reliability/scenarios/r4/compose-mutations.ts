import fc from 'fast-check'
import { isCollection, isScalar, parseDocument, stringify, visit } from 'yaml'

/** Keys a compose file may carry (and some it must not), for mutations to add. */
const KEYS = [
  ...['image', 'build', 'command', 'entrypoint', 'environment', 'env_file', 'ports', 'volumes', 'networks'],
  ...['restart', 'depends_on', 'healthcheck', 'deploy', 'privileged', 'network_mode', 'cap_add', 'cap_drop'],
  ...['devices', 'pid', 'ipc', 'userns_mode', 'container_name', 'extends', 'profiles', 'secrets', 'configs'],
  ...['ulimits', 'sysctls', 'user', 'working_dir', 'tmpfs', 'shm_size', 'mem_limit', 'cpus', 'x-extra'],
  ...['services', 'version', 'target', 'published', 'protocol', 'mode', 'condition', 'test', 'interval'],
]
/** Values that have broken parsers before: wrong types, odd numbers, paths out, variables. */
const VALUE = fc.oneof(
  fc.constantFrom<unknown>(null, '', 0, -1, 65535, 65536, 1e308, 0.5, true, [], {}, '80:80', '80/udp'),
  fc.constantFrom<unknown>('/var/run/docker.sock:/sock', '../..:/x', 'flag:/flag', '${FLAG}', '$${FLAG}'),
  fc.constantFrom<unknown>('${X:?unset}', '${X:-${Y:-z}}', '${', '$', 'a'.repeat(5000), 'levkit/nginx:1.0'),
  fc.constantFrom<unknown>('levrt-test/busybox:1.0', 'busybox', ['CMD', 'true'], {
    target: 80,
    protocol: 'tcp',
  }),
  fc.jsonValue({ maxDepth: 3 }),
)

type Tree = unknown

export type Mutation =
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'replace'; readonly at: number; readonly value: unknown }
  | { readonly kind: 'add'; readonly at: number; readonly key: string; readonly value: unknown }
  | { readonly kind: 'truncate'; readonly fraction: number }
  | { readonly kind: 'insert'; readonly fraction: number; readonly text: string }

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: VALUE }),
  fc.record({ kind: fc.constant('add' as const), at: fc.nat(), key: fc.constantFrom(...KEYS), value: VALUE }),
  fc.record({ kind: fc.constant('truncate' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    fraction: fc.double({ min: 0, max: 1, noNaN: true }),
    text: fc.oneof(
      fc.constantFrom(
        ': ',
        '- ',
        '\t',
        '&a ',
        '*a',
        '!!binary x',
        '<<: *a',
        '"',
        "'",
        '{',
        '\n  x: 1\n',
        '%YAML 1.1\n',
      ),
      fc.string({ maxLength: 10 }),
    ),
  }),
)

/** A YAML bomb: aliases doubling at each level (2^30 leaves if a parser expanded it whole). */
export const BOMB = [
  'a0: &a0 [x, x]',
  ...Array.from({ length: 30 }, (_, i) => `a${i + 1}: &a${i + 1} [*a${i}, *a${i}]`),
  'services: {web: {image: "levkit/nginx:1.0", ports: [80], command: *a30}}',
].join('\n')

/** Applies the mutations to a compose text: structural ones on its parsed tree, textual ones on the text. */
export function mutate(text: string, mutations: readonly Mutation[]): string {
  let tree: Tree
  try {
    const doc = parseDocument(text)
    let oddKeys = false // a list or map as a key: mutated as text only (as JS it would be a warning)
    visit(doc, {
      Pair: (_, { key }) =>
        void (oddKeys ||=
          isCollection(key) || (isScalar(key) && typeof key.value === 'object' && key.value !== null)),
    })
    tree = doc.errors.length || oddKeys ? undefined : doc.toJS()
  } catch {
    tree = undefined
  }
  for (const m of mutations) {
    if (m.kind === 'truncate' || m.kind === 'insert') continue
    if (tree !== undefined) tree = structural(tree, m)
  }
  let out = tree === undefined ? text : stringify(tree)
  for (const m of mutations) {
    if (m.kind === 'truncate') out = out.slice(0, Math.floor(out.length * m.fraction))
    if (m.kind === 'insert') {
      const at = Math.floor(out.length * m.fraction)
      out = out.slice(0, at) + m.text + out.slice(at)
    }
  }
  return out
}

/** The `at`-th node of the tree (depth first) changed as the mutation says. */
function structural(tree: Tree, m: Mutation & { at: number }): Tree {
  const nodes: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = []
  const seen = new Set<unknown>() // an alias inside its own node makes the tree cyclic
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object' || seen.has(node)) return
    seen.add(node)
    const entries: [string | number, unknown][] = Array.isArray(node)
      ? [...node.entries()]
      : Object.entries(node)
    for (const [key, value] of entries) {
      nodes.push({ parent: node as Record<string, unknown>, key })
      walk(value)
    }
  }
  walk(tree)
  if (!nodes.length) return m.kind === 'add' ? { [m.key]: structuredClone(m.value) } : tree
  const { parent, key } = nodes[m.at % nodes.length]
  const target = parent as Record<string | number, unknown>
  if (m.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1)
    else delete target[key]
  } else if (m.kind === 'replace') target[key] = structuredClone(m.value)
  else if (m.kind === 'add') {
    // Copies: fast-check hands the same value to later cases (and to shrinking), unchanged.
    const host = target[key]
    if (host && typeof host === 'object' && !Array.isArray(host))
      (host as Record<string, unknown>)[m.key] = structuredClone(m.value)
    else if (!Array.isArray(parent)) target[m.key] = structuredClone(m.value)
  }
  return tree
}
