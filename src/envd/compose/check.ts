import { flagRequirements } from './environment'
import { loadCompose, resolveComposePath } from './load'
import { hasFlagPlace, type ComposePlan } from './plan'
import type { ComposePolicy } from './policy'
import { ComposeRefusal, type Problem } from './problems'
import { NO_FLAG_PLACE } from './reasons'
import { composeFolder } from './variables'

/**
 * The one way a `compose_file` becomes a plan, for a create and for `levrt envd check`: found
 * under `root`, read, checked by the policy, and held against the create's flag (undefined: a
 * resumed deploy or a check, whose flag is not known). Throws EnvdError (400 or 422).
 */
export async function planComposeFile(
  policy: ComposePolicy,
  root: string,
  composeFile: string,
  flag?: string | null,
): Promise<ComposePlan> {
  const file = await resolveComposePath(root, composeFile)
  const shownAs = `compose_file ${JSON.stringify(composeFile)}`
  const plan = await policy.plan(await loadCompose(file, shownAs), shownAs, await composeFolder(file))
  if (flag === undefined) return plan
  const problems: Problem[] = []
  if (flag && !hasFlagPlace(plan)) problems.push({ path: '(the file)', reason: NO_FLAG_PLACE })
  for (const s of plan.services) {
    for (const v of s.flagEnvironment) {
      for (const why of flagRequirements(v.value)) {
        if (!flag)
          problems.push({
            path: `services.${s.name}.environment.${v.name}`,
            reason: `the create gives no flag, and \${FLAG:?} requires one: ${why}`,
          })
      }
    }
  }
  if (problems.length) throw new ComposeRefusal(shownAs, problems)
  return plan
}
