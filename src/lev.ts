import { AsyncLocalStorage } from 'node:async_hooks'
import { checkNamespace } from './schema'

const scope = new AsyncLocalStorage<readonly string[]>()

/** The namespace path of the async context that asks: `[]` outside any `lev.ns(...).run()`. */
export function currentNamespace(): readonly string[] {
  return scope.getStore() ?? []
}

/**
 * A namespace: runs stored inside `run()` go to `<ns>|...|<schema>`. It belongs to the async
 * context, so concurrent work in different namespaces never mixes.
 *
 * ```ts
 * const org = lev.ns('httpbin').ns('org')             // the same as lev.ns('httpbin', 'org')
 * const doc = await org.run(() => scan('httpbin.org'))
 * doc.coll.collectionName                             // 'httpbin|org|ts/issues@1.0'
 * ```
 */
export class Namespace {
  /** @internal */
  constructor(readonly path: readonly string[]) {}

  /** A namespace inside this one: `lev.ns('httpbin').ns('org')` is `lev.ns('httpbin', 'org')`. */
  ns(...names: string[]): Namespace {
    return new Namespace([...this.path, ...names.map(checkNamespace)])
  }

  /** Runs `fn` inside this namespace, nested in the namespace of the caller. */
  run<T>(fn: () => T): T {
    return scope.run([...currentNamespace(), ...this.path], fn)
  }
}

/**
 * The host-side `lev`: namespaces for where results go.
 *
 * ```ts
 * await lev.ns('example').run(async () => { await scan('example.com') })   // in 'example|ts/issues@1.0'
 * lev.ns('a', 'b').run(() => lev.namespace)                                 // ['a', 'b']
 * ```
 */
export const lev = {
  ns(...names: string[]): Namespace {
    return new Namespace(names.map(checkNamespace))
  },
  /** The namespace path of the calling async context. */
  get namespace(): readonly string[] {
    return currentNamespace()
  },
}
