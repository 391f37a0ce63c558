/**
 * The fresh process `measureInChild` starts: `memory-child.ts <module> <case> <json arg>`. Makes
 * the case, warms it up, measures one run with `peakRss`, prints `MEMORY <json>`, cleans up.
 */
import { peakRss, type MemoryCase } from './memory'

async function main(): Promise<void> {
  const [module, name, arg] = process.argv.slice(2)
  const cases = (require(module) as { memoryCases?: Record<string, MemoryCase> }).memoryCases
  const make = cases?.[name]
  if (!make) throw new Error(`${module} exports no memory case ${name}`)
  const c = await make(JSON.parse(arg) as never)
  try {
    await c.warmUp()
    const sample = await peakRss(() => c.run())
    process.stdout.write(`MEMORY ${JSON.stringify(sample)}\n`)
  } finally {
    await c.close?.()
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err)
    process.exit(1)
  },
)
