/**
 * History: every run has a key (what decides its result); `previous()` finds the latest earlier
 * run with that key, `changes()` what differs, and `reuse` skips a run whose result is stored.
 *
 *   npx ts-node examples/history.ts
 */
import { Cr } from 'levrt'

// A stand-in for a scan whose findings change between runs: $RANDOM differs each time.
const scan = (reuse = false) =>
  new Cr('levrt/busybox', 'demo/history@1.0', {
    cmd: ['sh', '-c', 'echo "{\\"open\\":[22,80],\\"banner\\":\\"v$RANDOM\\"}" >> "$LEV_RECORDS"'],
    reuse,
  })

export async function main(): Promise<void> {
  const first = await scan()
  const second = await scan()
  console.log(second.run.key === first.run.key) // true: the same image, cmd, env, files, schema
  const before = await second.previous() // the latest earlier run with the same key, or null
  console.log(before?.filters._id === first.filters._id) // true
  console.log(await second.changes()) // [{ op: 'changed', path: ['banner'], before: 'v…', value: 'v…' }]
  const again = await scan(true) // a successful run with this key is stored: no container runs
  console.log(again.reused, again.filters._id === second.filters._id) // true true
}

if (require.main === module)
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
