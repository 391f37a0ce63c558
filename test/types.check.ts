/**
 * Compile-time checks: `npm test` type-checks this file, and each `@ts-expect-error` fails the
 * build if the misuse below it ever starts to compile. Nothing here runs.
 */
import { Cr, type ContainerPath, type Document, type Schema, type Task } from '../src/index'

export async function typeChecks(): Promise<void> {
  // The contract's types: strings, checked when the Cr is made (an OptionsError), so values read
  // at run time compile, and so does a script that checks the typed error of a bad literal.
  const fromConfig: { schema: string; env: string[]; target: string; sig: string } = {
    schema: 'talentsec/nmap@1.0',
    env: ['DEBUG=1'],
    target: '/w/t.txt',
    sig: 'SIGTERM',
  }
  new Cr('levrt/busybox', fromConfig.schema, { env: fromConfig.env, files: { [fromConfig.target]: 'x' } })
  new Cr('levrt/busybox', 'issues') // an OptionsError at run time
  // The helper types keep the compiler's check for constants written out.
  // @ts-expect-error a schema needs <namespace>/<name>@<major>.<minor>
  const schema: Schema = 'issues'
  // @ts-expect-error file targets are absolute paths
  const target: ContainerPath = 'etc/config.json'
  void [schema, target]
  // Rejections are `any`, as a promise's: the contract's own example compiles.
  const failed: Document | undefined = await new Cr('levrt/busybox').catch((e) => e.document)
  void failed
  // @ts-expect-error ports are numbers
  new Cr('levrt/busybox', { ports: ['80'] })
  // @ts-expect-error services are Cr objects
  new Cr('levrt/busybox', { services: { redis: 'redis:7' } })
  // @ts-expect-error cmd is a list of arguments
  new Cr('levrt/busybox', { cmd: 'echo hi' })
  // @ts-expect-error unknown option
  new Cr('levrt/busybox', { command: ['x'] })

  const doc: Document = await new Cr('levrt/busybox')
  const task = await new Cr('levrt/busybox').start()
  await task.signal('SIGTERM')
  const again: Document = await task
  await again.get({}, { target: 1 })
  await task.signal(fromConfig.sig) // a name that is not a signal is an OptionsError
  // @ts-expect-error get() takes a filter object
  await doc.get('target')
  const running: Promise<Task> = new Cr('levrt/busybox').start()
  void running
}

// annot: a wrong category, param or export does not compile (API.md, "annot").
import { annot, Attck, attckTacticId, BlackArch, Cr as Cr2 } from '../src/index'

export function annotChecks(): void {
  const scan = (ip: string) => new Cr2('levrt/busybox', { cmd: ['echo', ip] })
  const scanTop = (ip: string, top: number, label?: string) =>
    new Cr2('levrt/busybox', { cmd: ['echo', ip, String(top), label ?? ''] })
  const ip = annot.param('ip', 'target ip to scan', { holder: '192.168.1.1/24' })
  const top = annot.param('top', 'how many ports', { holder: '100', type: 'number', default: 100 })
  const label = annot.param('label', 'a free-form label', { holder: 'lab', required: false })
  annot.meta({
    exports: [scan, scanTop],
    desc: 'detect surviving hosts in LAN',
    params: [ip, top, label],
    cats: { Attck: [Attck.Reconnaissance, Attck.Discovery], BlackArch: [BlackArch.Scanner, BlackArch.Recon] },
    tags: ['nmap', 'scan'],
  })
  annot.meta({ exports: [() => 1], desc: 'no params, no categories' })
  const id: 'TA0043' = Attck.Reconnaissance
  const tactic: `TA${string}` = attckTacticId(Attck.Impact)
  void [id, tactic]

  // @ts-expect-error a category is an enum member, not its id as a string
  annot.meta({ exports: [scan], desc: 'd', params: [ip], cats: { Attck: ['TA0043'] } })
  // @ts-expect-error a BlackArch group is not a string either
  annot.meta({ exports: [scan], desc: 'd', params: [ip], cats: { BlackArch: ['blackarch-scanner'] } })
  // @ts-expect-error an Attck tactic is not a BlackArch group
  annot.meta({ exports: [scan], desc: 'd', params: [ip], cats: { BlackArch: [Attck.Reconnaissance] } })
  // @ts-expect-error a BlackArch group is not an Attck tactic
  annot.meta({ exports: [scan], desc: 'd', params: [ip], cats: { Attck: [BlackArch.Scanner] } })
  // @ts-expect-error unknown category family
  annot.meta({ exports: [scan], desc: 'd', params: [ip], cats: { Mitre: [Attck.Impact] } })
  // @ts-expect-error unknown meta field
  annot.meta({ exports: [scan], desc: 'd', params: [ip], tag: ['scan'] })
  // @ts-expect-error a description is a string
  annot.meta({ exports: [scan], desc: 1, params: [ip] })
  // @ts-expect-error exports are functions
  annot.meta({ exports: ['scan'], desc: 'd', params: [ip] })
  // @ts-expect-error the export takes a number where the param gives a string
  annot.meta({ exports: [(n: number) => n], desc: 'd', params: [ip] })
  // @ts-expect-error the export needs an argument that no param declares
  annot.meta({ exports: [scan], desc: 'd' })
  // @ts-expect-error an optional param without a default may be undefined: the export must accept that
  annot.meta({ exports: [scan], desc: 'd', params: [label] })

  // Every field is optional, and the seed's positional form works too (API.md, "annot").
  annot.meta()
  annot.meta({ params: [ip], cats: [Attck.Discovery, BlackArch.Scanner] })
  annot.meta([scan, scanTop], 'd', [ip, top, label], { Attck: [Attck.Reconnaissance] }, ['nmap'], {
    author: 'lab',
  })
  annot.meta(undefined, 'every exported function', [], [BlackArch.Recon, Attck.Impact])
  const withExt = annot.meta({ desc: 'd', ext: { author: 'lab', version: 2 } })
  const author: 'lab' = withExt.ext.author
  void author
  // @ts-expect-error ext keeps its type: a field it does not have does not compile
  void withExt.ext.licence
  // @ts-expect-error ext is an object of the module's own data
  annot.meta({ desc: 'd', ext: 'lab' })
  // @ts-expect-error a list of categories holds enum members, not ids as strings
  annot.meta({ params: [ip], cats: [Attck.Discovery, 'blackarch-scanner'] })
  // @ts-expect-error positional: the export takes a number where the param gives a string
  annot.meta([(n: number) => n], 'd', [ip])
  // @ts-expect-error positional: the export needs an argument that no param declares
  annot.meta([scan], 'd')
  // @ts-expect-error positional: the description is a string
  annot.meta([scan], 42, [ip])
  // @ts-expect-error positional: a category is an enum member
  annot.meta([scan], 'd', [ip], ['TA0043'])
  // @ts-expect-error positional: exports are functions
  annot.meta(['scan'], 'd', [ip])
  // @ts-expect-error positional: six fields at most
  annot.meta([scan], 'd', [ip], [], [], {}, 'more')
  // @ts-expect-error the object form takes one argument
  annot.meta({ desc: 'd' }, 'again')

  // @ts-expect-error a param needs a description
  annot.param('ip', { holder: '10.0.0.1' })
  // @ts-expect-error a param needs a holder (an example value)
  annot.param('ip', 'target ip')
  // @ts-expect-error the default has the param's type
  annot.param('top', 'how many ports', { holder: '100', type: 'number', default: '100' })
  // @ts-expect-error a string param (the default type) with a number default
  annot.param('top', 'how many ports', { holder: '100', default: 100 })
  // @ts-expect-error a param with a default is not required
  annot.param('top', 'how many ports', { holder: '100', type: 'number', default: 100, required: true })
  // @ts-expect-error unknown param type
  annot.param('when', 'a date', { holder: '2024-01-01', type: 'date' })
  // @ts-expect-error unknown param option
  annot.param('ip', 'target ip', { holder: '10.0.0.1', example: '10.0.0.2' })
}
