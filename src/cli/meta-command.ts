import { Command } from 'commander'
import { attckTacticName } from '../annot/attck'
import { blackArchGroupName } from '../annot/blackarch'
import type { Meta } from '../annot/meta'
import { configure } from './help'
import { moduleLoader, ModuleLoadError, requireMeta, type WorkflowModule } from './module'
import { describeFailure } from './failure'
import { EXIT, type ExitCode } from './usage'

/** `levrt meta <module>` */
export function metaCommand(finish: (code: ExitCode) => void): Command {
  return configure(new Command('meta'))
    .usage('<module>')
    .summary("print a module's annot.meta as JSON")
    .description(
      "Prints a workflow module's annot.meta as one JSON object: its exports by name, params, categories " +
        '(ATT&CK tactics with their TA ids, BlackArch groups with their pacman group), tags, description and ext. ' +
        'A meta that leaves exports out lists every function the module exports.',
    )
    .argument('<module>', 'the workflow module: a .ts or .js file')
    .action((path: string) => {
      let mod: WorkflowModule
      try {
        mod = moduleLoader()(path)
      } catch (err) {
        if (!(err instanceof ModuleLoadError)) throw err
        process.stderr.write(`levrt meta: cannot load ${path}: ${describeFailure(err.cause)}\n`)
        return finish(EXIT.failed)
      }
      process.stdout.write(
        `${JSON.stringify(describeMeta(requireMeta(mod), [...mod.functions.keys()]), null, 2)}\n`,
      )
      finish(EXIT.done)
    })
}

/** The JSON form of a meta: functions by export name, enum members by name and id. */
export function describeMeta(meta: Meta, exportNames: readonly string[]) {
  return {
    desc: meta.desc,
    exports: exportNames,
    params: meta.params.map((p) => ({
      name: p.name,
      description: p.description,
      holder: p.holder,
      type: p.type,
      required: p.required,
      ...(p.default === undefined ? {} : { default: p.default }),
    })),
    cats: {
      Attck: meta.cats.Attck.map((t) => ({ name: attckTacticName(t), id: t })),
      BlackArch: meta.cats.BlackArch.map((g) => ({ name: blackArchGroupName(g), group: g })),
    },
    tags: meta.tags,
    ext: meta.ext,
  }
}
