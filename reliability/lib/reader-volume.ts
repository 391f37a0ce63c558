import { Readable } from 'node:stream'
import { isDeepStrictEqual } from 'node:util'
import { pack } from 'tar-stream'
import { readResults } from '../../src/results/records'
import type { Random } from './random'
import { recordStream } from './record-stream'

/** The tar the engine sends for the results folder, its records file cut into random writes. */
function tarOf(r: Random, bytes: Buffer): Readable {
  const p = pack()
  const entry = p.entry({ name: 'out/records.jsonl', size: bytes.length })
  for (let i = 0; i < bytes.length;) {
    const size = r.pick([1, 2, 7, 512, 4096, 65536, 1 << 20])
    entry.write(bytes.subarray(i, i + size))
    i += size
  }
  entry.end(undefined) // streamx's typings insist on an argument
  p.finalize()
  return p as unknown as Readable
}

/**
 * The run's own reader (`readResults`, what a run calls on the engine's archive) on `lines`
 * fuzzed lines, in streams of 100 000 at most: volume without a container per batch.
 */
export async function readerVolume(
  r: Random,
  lines: number,
): Promise<{ lines: number; ms: number; problem?: string }> {
  const begun = Date.now()
  let done = 0
  while (done < lines) {
    const count = Math.min(100_000, lines - done)
    const stream = recordStream(r, count, r.next() < 0.5)
    const got = await readResults(tarOf(r, stream.bytes))
    const named = got.problems.map((p) => p.line)
    const problem = !isDeepStrictEqual(named, stream.bad)
      ? `bad lines named ${named.length}, expected ${stream.bad.length}`
      : got.cutLine !== stream.cut
        ? `cut line ${got.cutLine ? 'seen' : 'missed'}`
        : !isDeepStrictEqual(got.fields.toObject(), stream.fields)
          ? 'merged fields differ'
          : undefined
    done += count
    if (problem)
      return {
        lines: done,
        ms: Date.now() - begun,
        problem: `at lines ${done - count + 1}-${done}: ${problem}`,
      }
  }
  return { lines: done, ms: Date.now() - begun }
}
