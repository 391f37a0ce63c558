import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { EJSON } from 'bson'
import { describe, expect, it, vi } from 'vitest'
import { contextOf, withContext } from '../../src/context'
import { Cr } from '../../src/cr'
import { StoreError, StoreUnavailableError } from '../../src/errors'
import { quietSink } from '../../src/log/quiet'
import type { Store } from '../../src/store'
import { EmbeddedStore } from '../../src/store/embedded'
import { MemoryEngine } from '../support/memory-engine'
import { lab, rejection } from './lab'

/** The embedded store, but saving fails the way `fail` says. */
function failing(home: string, fail: () => Error | undefined): Store {
  const store = new EmbeddedStore(home)
  return {
    kind: store.kind,
    key: store.key,
    location: store.location,
    collection: (name) => store.collection(name),
    collections: () => store.collections(),
    unreachable: () => store.unreachable(),
    save: async (...args) => {
      const err = fail()
      if (err) throw err
      return store.save(...args)
    },
  }
}

describe('results when the store fails', () => {
  it('a result the store cannot take now is spooled, and the run says where', async () => {
    const { home } = lab()
    const unreachable = new StoreError('down', undefined, true)
    let down = true
    const store = failing(home, () => (down ? unreachable : undefined))
    const ctx = contextOf({
      engine: new MemoryEngine(() => ({ records: '{"kept":true}\n' })),
      home,
      store,
      log: quietSink,
    })
    const err = await rejection(withContext(ctx, () => new Cr('levrt/busybox', 'unit/spool@1.0')))
    expect(err).toBeInstanceOf(StoreUnavailableError)
    expect((err as StoreUnavailableError).path).toContain(join(home, 'spool'))
    down = false
    // The next run against the same store writes the spooled result.
    await withContext(ctx, () => new Cr('levrt/busybox', 'unit/spool@1.0'))
    const id = basename((err as StoreUnavailableError).path, '.ejson')
    const coll = store.collection('unit/spool@1.0')
    await vi.waitFor(async () => expect(await coll.findOne({ _id: id })).toMatchObject({ kept: true }))
  })

  it('a result the store refuses is kept whole, and the StoreError says where', async () => {
    const { home } = lab()
    const store = failing(home, () => new StoreError('refused: nested arrays are not supported'))
    const ctx = contextOf({
      engine: new MemoryEngine(() => ({ records: '{"kept":[[1]]}\n' })),
      home,
      store,
      log: quietSink,
    })
    const err = await rejection(withContext(ctx, () => new Cr('levrt/busybox', 'unit/refused@1.0')))
    expect(err).toBeInstanceOf(StoreError)
    const path = (err as StoreError).path!
    expect(path).toContain(join(home, 'refused'))
    expect((err as Error).message).toContain(path)
    expect(EJSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ fields: { kept: [[1]] } })
  })

  it('a spool that cannot be flushed is reported, not dropped without a word', async () => {
    const { home } = lab()
    const store = failing(home, () => new Error('disk on fire'))
    mkdirSync(join(home, 'spool'), { recursive: true })
    const entry = {
      store: store.key,
      collection: 'unit/x@1.0',
      id: '0123456789abcdef01234567',
      fields: { a: 1 },
      run: {},
    }
    writeFileSync(join(home, 'spool', `${entry.id}.ejson`), EJSON.stringify(entry, { relaxed: false }))
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    try {
      const ctx = contextOf({ engine: new MemoryEngine(), home, store, log: quietSink })
      await rejection(withContext(ctx, () => new Cr('levrt/busybox')))
      await vi.waitFor(() =>
        expect(warn.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/spooled results .*disk on fire/),
      )
    } finally {
      warn.mockRestore()
    }
  })
})
