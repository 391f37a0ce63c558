import { benchLabels } from '../../bench/lib/owned'

/** The MongoDB-compatible test server `scripts/setup.sh --test` builds (FerretDB). */
export const FERRETDB_IMAGE = 'levrt-test/ferretdb:1.24'

export interface MongoServer {
  readonly url: string
  stop(): Promise<void>
}

/**
 * A MongoDB-compatible server of the scenario's own, on loopback. Labelled as the benchmarks'
 * containers are, so a killed run's server is removed by the next bench or reliability run.
 */
export async function startMongoServer(): Promise<MongoServer> {
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true'
  const { GenericContainer, Wait } = await import('testcontainers')
  const container = await new GenericContainer(FERRETDB_IMAGE)
    .withExposedPorts(27017)
    .withLabels(benchLabels())
    // FROM scratch: no /bin/sh for forListeningPorts' in-container check. FerretDB logs this once bound.
    .withWaitStrategy(Wait.forLogMessage(/Listening on TCP /))
    .start()
  return {
    url: `mongodb://127.0.0.1:${container.getMappedPort(27017)}/`,
    stop: async () => void (await container.stop({ remove: true, removeVolumes: true })),
  }
}
