/**
 * A background task, like the seed's: start a long scan, do other work meanwhile, then signal
 * it. The tool traps SIGINT, stores what it found so far and exits; `done()` gives its Document.
 *
 *   npx ts-node examples/background.ts
 */
import { Cr } from 'levrt'

// A stand-in for a long scan: it finds one port a second until interrupted, then saves.
const SLOW_SCAN = `
found=""
trap 'printf "{\\"open\\":[%s],\\"interrupted\\":true}\\n" "\${found#,}" >> "$LEV_RECORDS"; exit 0' INT
for port in 21 22 25 53 80 110 143 443 993 995 3306 5432 6379 8080; do
  echo "probing $port"; found="$found,$port"; sleep 1
done
printf '{"open":[%s],"interrupted":false}\\n' "\${found#,}" >> "$LEV_RECORDS"
`

async function main(): Promise<void> {
  const task = await new Cr('levrt/busybox', 'example/background@1.0', {
    cmd: ['sh', '-c', SLOW_SCAN],
  }).start()
  console.log(`scan running in the background: ${task.host}`)

  // ... other work happens here while the scan runs ...
  await new Promise((resolve) => setTimeout(resolve, 3500))

  await task.signal() // SIGINT by default: the tool saves what it has and exits
  const doc = await task.done()
  console.log(`exit code ${doc.exitCode} →`, await doc.get())
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
