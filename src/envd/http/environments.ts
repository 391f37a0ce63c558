import fp from 'fastify-plugin'
import type { Environments } from '../state/service'

/** What the routes work on: decorated onto the app by `environmentsPlugin`. */
export interface EnvironmentsDeps {
  readonly environments: Environments
  /** Whether the engine answers (`/health`). */
  readonly engineAlive: () => Promise<boolean>
}

declare module 'fastify' {
  interface FastifyInstance {
    environments: Environments
    engineAlive: () => Promise<boolean>
  }
}

/** Decorates the app (not encapsulated: fastify-plugin) so that every route plugin sees them. */
export const environmentsPlugin = fp<EnvironmentsDeps>(
  async (app, deps) => {
    app.decorate('environments', deps.environments)
    app.decorate('engineAlive', deps.engineAlive)
  },
  { name: 'levrt-envd-environments', fastify: '5.x' },
)
