import { DIM, paint } from './colors'
import type { GroupCounts, GroupLog } from './sink'
import { formatDuration, writeTo, type LogStream } from './stream'

/** A text sink prints through one of these: output lines, and the status of its groups. */
export interface StatusDisplay {
  /** Prints whole lines (each ending in `\n`). */
  print(text: string): void
  open(): GroupLog
}

const NONE: GroupCounts = { done: 0, running: 0, queued: 0, failed: 0, total: 0 }

/** `concurrent: 3 done, 3 running, 6 queued, 0 failed, 12 total (4.2s)`; `#n` once there are several groups. */
export function formatStatus(id: number, counts: GroupCounts, elapsedMs: number, settled = false): string {
  const c = counts
  const label = id > 1 ? `concurrent#${id}` : 'concurrent'
  return `${label}: ${c.done} done, ${c.running} running, ${c.queued} queued, ${c.failed} failed, ${c.total} total (${formatDuration(elapsedMs)}${settled ? ', settled' : ''})`
}

function same(a: GroupCounts, b: GroupCounts): boolean {
  return (
    a.done === b.done &&
    a.running === b.running &&
    a.queued === b.queued &&
    a.failed === b.failed &&
    a.total === b.total
  )
}

const CLEAR = '\r\x1b[2K'
/** Redraws at most this often: 200 runs settling at once must not mean 200 terminal writes. */
const REDRAW_MS = 100
/** The elapsed time moves even when no count does. */
const TICK_MS = 1000

/** On a terminal: one status line kept under the output, redrawn in place. */
export class LiveStatus implements StatusDisplay {
  private readonly groups = new Map<number, { counts: GroupCounts; since: number }>()
  private seq = 0
  private onScreen = false
  private lastDraw = 0
  private pending: NodeJS.Timeout | undefined
  private ticker: NodeJS.Timeout | undefined

  constructor(
    private readonly out: LogStream,
    private readonly color: boolean,
  ) {}

  print(text: string): void {
    // One write: clear the status, the lines, the status again, so it never flickers apart.
    const line = this.line()
    writeTo(this.out, (this.onScreen ? CLEAR : '') + text + line)
    this.onScreen = line !== ''
    if (this.onScreen) this.lastDraw = Date.now()
  }

  open(): GroupLog {
    const id = ++this.seq
    const state = { counts: NONE, since: Date.now() }
    this.groups.set(id, state)
    this.ticker ??= setInterval(() => this.draw(), TICK_MS).unref()
    let ended = false
    return {
      update: (counts) => {
        if (ended || same(counts, state.counts)) return
        state.counts = counts
        this.schedule()
      },
      end: (counts) => {
        if (ended) return
        ended = true
        this.groups.delete(id)
        if (this.groups.size === 0) this.stop()
        // The last status stays as an ordinary line; the live line goes away (or shows the others).
        this.print(`${formatStatus(id, counts, Date.now() - state.since, true)}\n`)
      },
    }
  }

  private line(): string {
    if (this.groups.size === 0) return ''
    const now = Date.now()
    const text = [...this.groups].map(([id, g]) => formatStatus(id, g.counts, now - g.since)).join('  |  ')
    // Wider than the terminal would wrap, and `\r` would then redraw only the last row.
    // A pty whose size was never set says 0 columns: unknown, not zero.
    const width = Math.max((this.out.columns || 80) - 1, 10)
    const fitted = text.length > width ? `${text.slice(0, width - 1)}…` : text
    return this.color ? paint(DIM, fitted) : fitted
  }

  private schedule(): void {
    if (this.pending) return
    const wait = this.lastDraw + REDRAW_MS - Date.now()
    if (wait <= 0) return this.draw()
    this.pending = setTimeout(() => {
      this.pending = undefined
      this.draw()
    }, wait).unref()
  }

  private draw(): void {
    const line = this.line()
    if (line === '' && !this.onScreen) return
    writeTo(this.out, CLEAR + line)
    this.onScreen = line !== ''
    this.lastDraw = Date.now()
  }

  private stop(): void {
    clearTimeout(this.pending)
    clearInterval(this.ticker)
    this.pending = this.ticker = undefined
  }
}

/** A plain status line at most this often (CI logs are read afterwards, not watched). */
export const PLAIN_EVERY_MS = 2000

/** Not a terminal: the status as ordinary lines, only when counts change, at most every 2 s. */
export class LineStatus implements StatusDisplay {
  private seq = 0

  constructor(private readonly out: LogStream) {}

  print(text: string): void {
    writeTo(this.out, text)
  }

  open(): GroupLog {
    const id = ++this.seq
    const since = Date.now()
    let printed = NONE
    let latest = NONE
    let printedAt = 0
    let pending: NodeJS.Timeout | undefined
    let ended = false
    const emit = () => {
      pending = undefined
      if (ended || same(latest, printed)) return
      printed = latest
      printedAt = Date.now()
      this.print(`${formatStatus(id, latest, printedAt - since)}\n`)
    }
    return {
      update: (counts) => {
        if (ended) return
        latest = counts
        if (same(latest, printed) || pending) return
        const wait = printedAt + PLAIN_EVERY_MS - Date.now()
        if (wait <= 0) emit()
        else pending = setTimeout(emit, wait).unref()
      },
      end: (counts) => {
        if (ended) return
        ended = true
        clearTimeout(pending)
        this.print(`${formatStatus(id, counts, Date.now() - since, true)}\n`)
      },
    }
  }
}
