import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type Dockerode from 'dockerode'
import type { Container } from '../src/engine/engine'
import { Cr } from '../src/index'
import { fileEntries } from '../src/archive/files'
import { uploadTar } from '../src/archive/recycled'
import { DockerEngine } from '../src/engine/docker-engine'
import { contender, interleaved, printTable, rowMedian, verdict } from './lib/measure'
import { measureInChild, medianOf, memoryRows, MiB, printMemoryTable, type MemoryCase } from './lib/memory'
import { assertImages, benchLabels } from './lib/owned'

const run = promisify(execFile)
const IMAGE = 'levrt/busybox'
const SIZE = 256 * MiB
/** A smaller file, for whether host memory grows with the file's size. */
const SMALL = 64 * MiB
const TARGET = '/data/blob'

/**
 * Writes `bytes` of incompressible content, 1 MiB at a time (never the whole file in memory):
 * each MiB is random, so neither the engine nor the disk can shortcut it.
 */
function writeRandomFile(path: string, bytes: number): void {
  const fd = openSync(path, 'w')
  try {
    for (let left = bytes; left > 0; left -= MiB) writeSync(fd, randomBytes(Math.min(MiB, left)))
  } finally {
    closeSync(fd)
  }
}

/** Run in a fresh process by `measureInChild`: one Cr that mounts the file at `path`. */
export const memoryCases: Record<string, MemoryCase> = {
  async mount({ path }: { path: string }) {
    const warm = `${path}.warm`
    writeFileSync(warm, randomBytes(64 * 1024))
    const mount = (source: string) =>
      new Cr(IMAGE, { cmd: ['true'], files: { [TARGET]: { path: source } } }).done()
    return {
      warmUp: async () => void (await mount(warm)),
      run: async () => void (await mount(path)),
      close: async () => rmSync(warm, { force: true }),
    }
  },
}

export interface FilesOutcome {
  readonly speedRatio: number
  readonly rssIncrease: number
}

/**
 * P4: a 256 MiB local file mounted via `files`, against `docker cp` of the same file. Like for
 * like, whole runs: levrt's `await new Cr(...)` (create, copy, start, wait, remove) against
 * dockerode create + `docker cp` + start + wait + remove. For where the time goes: `docker cp`
 * alone into a created container, and the same Cr without files. Host memory while levrt mounts
 * the file is measured apart, in fresh processes.
 */
export async function filesBench(
  docker: Dockerode,
  rounds: number,
  memoryRounds: number,
): Promise<FilesOutcome> {
  await assertImages(docker, [IMAGE], 'run: npm run images')
  const dir = mkdtempSync(join(tmpdir(), 'levrt-bench-p4-'))
  const engine = new DockerEngine()
  try {
    // `docker cp` cannot make missing parents, so it copies a folder holding just the file to
    // /data (a folder copied to a missing path becomes that path): /data/blob either way.
    const folder = join(dir, 'data')
    mkdirSync(folder)
    const file = join(folder, 'blob')
    writeRandomFile(file, SIZE)
    const small = join(dir, 'small')
    writeRandomFile(small, SMALL)

    // Untimed before every run: the previous run's 256 MiB may still be going to disk.
    const settle = async () => {
      await run('sync')
    }
    const create = async () => {
      await settle()
      return docker.createContainer({ Image: IMAGE, Cmd: ['true'], Labels: benchLabels() })
    }
    const remove = async (c: Dockerode.Container) => {
      await c.remove({ force: true, v: true })
    }
    const contenders = [
      contender({
        name: 'dockerode create + `docker cp` + start + wait + remove (baseline)',
        before: settle,
        async run() {
          const c = await create()
          try {
            await run('docker', ['cp', folder, `${c.id}:/data`])
            await c.start()
            await c.wait()
          } finally {
            await remove(c)
          }
        },
      }),
      contender({
        name: "levrt await new Cr(..., { files: { ['/data/blob']: { path } } })",
        before: settle,
        run: () => new Cr(IMAGE, { cmd: ['true'], files: { [TARGET]: { path: file } } }).done(),
      }),
      contender({
        name: '`docker cp` alone, into a created container (create/remove untimed)',
        before: create,
        run: (c: Dockerode.Container) => run('docker', ['cp', folder, `${c.id}:/data`]),
        after: (c: Dockerode.Container) => remove(c),
      }),
      contender({
        name: 'levrt await new Cr(...) without files (container floor)',
        before: settle,
        run: () => new Cr(IMAGE, { cmd: ['true'] }).done(),
      }),
      contender({
        name: "levrt copy alone: the run's own put (files -> tar -> engine), into a created container",
        before: async () => {
          await settle()
          return engine.create({
            name: `levrt-bench-p4-${Date.now()}`,
            image: IMAGE,
            cmd: ['true'],
            env: [],
            labels: benchLabels(),
            network: { mode: 'bridge' },
          })
        },
        run: async (c: Container) =>
          c.put(uploadTar(await fileEntries([{ target: TARGET, source: { path: file } }]))),
        after: (c: Container) => c.remove(),
      }),
      contender({
        name: "levrt await new Cr(..., { files: { ['/data/blob']: { path, bind: true } } })",
        before: settle,
        run: () => new Cr(IMAGE, { cmd: ['true'], files: { [TARGET]: { path: file, bind: true } } }).done(),
      }),
    ]
    const rows = await interleaved(contenders, rounds)
    const memory = await memoryRows(
      [
        {
          name: 'levrt await new Cr(..., files: 256 MiB)',
          measure: () => measureInChild(__filename, 'mount', { path: file }),
        },
        {
          name: 'levrt await new Cr(..., files: 64 MiB)',
          measure: () => measureInChild(__filename, 'mount', { path: small }),
        },
      ],
      memoryRounds,
    )

    printTable(
      `P4 — a 256 MiB local file (random content) to /data/blob, ${rounds} rounds interleaved (target: levrt's copy alone ≥ 0.9× docker cp's speed)`,
      rows,
      contenders[0].name,
    )
    const names = contenders.map((c) => c.name)
    const speed = (ms: number) => `${(SIZE / MiB / (ms / 1000)).toFixed(0)} MiB/s`
    const [base, levrt, cpAlone, bare, putAlone, bound] = names.map((n) => rowMedian(rows, n))
    // The target is the copy alone: levrt's put against `docker cp`, each into a created container.
    const speedRatio = cpAlone / putAlone
    console.log(
      `\nP4 copy alone: levrt ${speed(putAlone)}, docker cp ${speed(cpAlone)}; ratio ${speedRatio.toFixed(2)}× (target ≥ 0.9×) ` +
        verdict(speedRatio, (r) => r >= 0.9),
    )
    console.log(
      `P4 whole runs: levrt ${speed(levrt)}, docker cp ${speed(base)}; ratio ${(base / levrt).toFixed(2)}×`,
    )
    console.log(
      `P4 bind mount: ${bound.toFixed(0)} ms vs ${bare.toFixed(0)} ms for the same Cr without files (${(bound / bare).toFixed(2)}×; target ≈ 1×)`,
    )
    printMemoryTable(
      `P4 host memory while levrt mounts the file — each sample a fresh process (warmed up with a 64 KiB file), ${memoryRounds} samples`,
      memory,
      { label: 'file', bytes: (name) => (name.includes('256') ? SIZE : SMALL) },
    )
    const [rssIncrease, rssSmall] = memory.map((r) => medianOf(r, 'rss'))
    const growth = (rssIncrease - rssSmall) / (SIZE - SMALL)
    // Flat: well below the file (a quarter of it at most) and not growing with it (a tenth of a
    // byte per byte at most, which leaves room for noise).
    const flat = (b: number) => b <= SIZE / 4 && growth <= 0.1
    console.log(
      `P4 host memory: peak RSS increase ${(rssIncrease / MiB).toFixed(1)} MiB for 256 MiB, ${(rssSmall / MiB).toFixed(1)} MiB for 64 MiB: ` +
        `growth ${growth.toFixed(3)} bytes per file byte (target: flat — here ≤ 64 MiB and growth ≤ 0.1) ${verdict(rssIncrease - rssSmall, () => flat(rssIncrease))}`,
    )
    return { speedRatio, rssIncrease }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
