/**
 * vitest globalSetup: one FerretDB (MongoDB wire protocol over SQLite) container for the whole
 * run, from the image `scripts/setup.sh --test` builds locally. Tests read its URL with
 * `inject('mongoUrl')`.
 */
import { hostname } from 'node:os'
import type { TestProject } from 'vitest/node'
import { connectDocker } from '../src/docker/connection'
import { processExists } from '../src/docker/labels'

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUrl: string
  }
}

export const FERRETDB_IMAGE = 'levrt-test/ferretdb:1.24'
const MONGO_PORT = 27017

/** Without Ryuk nothing reaps the container of a killed run; these labels let the next run do it. */
const OWNER_HOST = 'io.levrt.test.owner.host'
const OWNER_PID = 'io.levrt.test.owner.pid'

/** Removes FerretDB containers left by test runs on this host whose process is gone. */
async function removeLeftovers(): Promise<void> {
  const leftovers = await connectDocker().listContainers({
    all: true,
    filters: { label: [`${OWNER_HOST}=${hostname()}`] },
  })
  for (const c of leftovers) {
    if (processExists(Number(c.Labels[OWNER_PID]))) continue
    await connectDocker()
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => {})
  }
}

/** testcontainers pulls any image it can't find; this one only exists locally, so check first. */
async function assertImageBuilt(ref: string): Promise<void> {
  try {
    await connectDocker().getImage(ref).inspect()
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err
    throw new Error(`image ${ref} is not built; run: bash scripts/setup.sh --test`, { cause: err })
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await assertImageBuilt(FERRETDB_IMAGE)
  await removeLeftovers()

  // No Ryuk: its image would come from a registry. Must be set before testcontainers loads.
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true'
  const { GenericContainer, Wait } = await import('testcontainers')

  const container = await new GenericContainer(FERRETDB_IMAGE)
    .withExposedPorts(MONGO_PORT)
    .withLabels({ [OWNER_HOST]: hostname(), [OWNER_PID]: String(process.pid) })
    // Not Wait.forListeningPorts(): its in-container half execs /bin/sh, which this FROM-scratch
    // image lacks, so it never succeeds. FerretDB logs this line once its listener is bound.
    .withWaitStrategy(Wait.forLogMessage(/Listening on TCP /))
    .start()

  project.provide('mongoUrl', `mongodb://${container.getHost()}:${container.getMappedPort(MONGO_PORT)}/`)

  return async () => {
    await container.stop({ remove: true, removeVolumes: true })
  }
}
