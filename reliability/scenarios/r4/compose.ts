import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import fc from 'fast-check'
import { planComposeFile } from '../../../src/envd/compose/check'
import { ComposePolicy } from '../../../src/envd/compose/policy'
import { resolveOptions } from '../../../src/envd/options'
import { EnvdError } from '../../../src/envd/errors'
import { check, describeError, expectThat, type PropertyResult } from '../../lib/property'
import { BOMB, mutate, mutation } from './compose-mutations'

const FIXTURES = resolve(__dirname, '../../../test/fixtures/envd')
const PLAN_MS = 5000

/**
 * Mutations of the compose files the envd tests keep (accepted and refused ones, with their env
 * files beside them), planned exactly as a create plans them: accepted, or refused with a 422
 * saying why; never another error, never longer than 5 s (a file must not stall a create).
 */
export async function composeProperty(seed: number, runs: number): Promise<PropertyResult> {
  const root = mkdtempSync(join(tmpdir(), 'levrt-r4-compose-'))
  try {
    cpSync(FIXTURES, root, { recursive: true })
    writeFileSync(join(root, 'bomb.yaml'), BOMB)
    const sources = yamlFiles(root).map((file) => ({ file, text: readFileSync(file, 'utf8') }))
    const policy = new ComposePolicy(resolveOptions({}).hardening.capAllow)
    return await check(
      'compose files',
      fc.tuple(
        fc.nat({ max: sources.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(undefined, null, 'flag{r4}'),
      ),
      async ([i, mutations, flag]) => {
        const source = sources[i]
        const mutant = join(dirname(source.file), 'r4-mutant.yaml')
        writeFileSync(mutant, mutate(source.text, mutations))
        const outcome = await Promise.race([
          planComposeFile(policy, root, relative(root, mutant), flag).then(
            () => 'accepted',
            (err: unknown) => err,
          ),
          new Promise((done) => setTimeout(() => done('timeout'), PLAN_MS).unref()),
        ])
        expectThat(outcome !== 'timeout', () => `planned for more than ${PLAN_MS} ms`)
        if (outcome === 'accepted') return
        expectThat(
          outcome instanceof EnvdError && outcome.statusCode === 422,
          () =>
            `refused with ${describeError(outcome)}${outcome instanceof EnvdError ? ` (${outcome.statusCode})` : ''}`,
        )
      },
      seed,
      runs,
    )
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  )
}
