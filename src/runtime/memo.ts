import { makeBundle, type NodeBundle } from './bundle'
import { readSources, type RuntimeSources } from './sources'

/**
 * What a context remembers about running entries: facts that do not change while it lives
 * (the host's node bundle, the runtime's scripts, whether an image id has node) and the
 * runtime volumes it has filled.
 */
export class RuntimeMemo {
  private bundle: Promise<NodeBundle> | undefined
  /** Filled runtime volumes, by engine address and bundle key. */
  readonly volumes = new Map<string, Promise<string>>()
  /** Whether an image, by id (whose files never change), has node on its PATH. */
  readonly imageNode = new Map<string, Promise<boolean>>()
  private scripts: RuntimeSources | undefined

  /** The bundle of this process's node, made once (a failure is tried again next time). */
  nodeBundle(): Promise<NodeBundle> {
    const bundle = (this.bundle ??= makeBundle(this.sources()))
    bundle.catch(() => {
      if (this.bundle === bundle) this.bundle = undefined
    })
    return bundle
  }

  sources(): RuntimeSources {
    this.scripts ??= readSources()
    return this.scripts
  }
}
