/**
 * Namespaces: where a run's document goes. The seed writes `lev / "x"`; TypeScript has no
 * operator overloading, so the namespace is `lev.ns('x')` and the work runs inside it.
 *
 *   npx ts-node examples/namespaces.ts
 */
import { Cr, lev } from 'levrt'

const hello = (who: string) =>
  new Cr('levrt/busybox', 'demo/hello@1.0', {
    cmd: ['sh', '-c', `echo "{\\"hello\\":\\"${who}\\"}" >> "$LEV_RECORDS"`],
  })

export async function main(): Promise<string[]> {
  const plain = await hello('world') // in 'demo/hello@1.0'
  const inX = await lev.ns('x').run(() => hello('x')) // in 'x|demo/hello@1.0'
  const org = lev.ns('httpbin').ns('org') // the same as lev.ns('httpbin', 'org')
  const nested = await org.run(() => hello('org')) // in 'httpbin|org|demo/hello@1.0'
  const inner = await lev.ns('a').run(() => lev.ns('b').run(() => hello('ab'))) // in 'a|b|demo/hello@1.0'
  const made = lev.ns('y').run(() => hello('y')) // a Cr keeps the namespace it was made in,
  const later = await made // wherever it is awaited: in 'y|demo/hello@1.0'
  const names = [plain, inX, nested, inner, later].map((doc) => doc.coll.collectionName)
  console.log(names)
  return names
}

if (require.main === module)
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
