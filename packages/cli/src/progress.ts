// Progress of a long wait (maintenance --wait): a live line on a terminal, one line per change otherwise,
// JSON lines with --json.
import type { Io } from './args.js'
import { formatDuration } from './values.js'

/** A balancer still holding the drain, as the admin API reports it. */
export interface Holder {
  id: string
  consecutive503: number
}

export interface WaitState {
  /** What is awaited: `drain` (maintenance on), `ready` (maintenance off), `budget` (--wait-for-budget). */
  waitingFor: 'drain' | 'ready' | 'budget'
  elapsedMs: number
  timeoutMs: number
  /** The balancers still holding the drain (drain only). */
  holding: readonly Holder[]
  /** Consecutive 503s each must see, when the server says. */
  threshold: number | undefined
  /** The rest of the state in words: `it answers 503`, `cannot reach ...`, `1 one-off request ignored`. */
  detail: string
}

export type ProgressMode = 'tty' | 'lines' | 'json'

/** The mode for this run: --json wins, then a terminal on stderr, else plain lines. */
export function progressMode(io: Io, json: boolean): ProgressMode {
  if (json) return 'json'
  return io.stderr.isTTY ? 'tty' : 'lines'
}

/** Colors only on a terminal, and never with NO_COLOR set (to anything but the empty string). */
export function useColor(io: Io, stream: 'stdout' | 'stderr' = 'stderr'): boolean {
  const noColor = io.env.NO_COLOR
  return io[stream].isTTY === true && (noColor === undefined || noColor === '')
}

const paint = (color: boolean, code: string, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text)

/** The words of a state without the clock: a new one is a change worth a line. */
export function describeWait(state: WaitState, color = false): string {
  if (state.waitingFor !== 'drain' || state.holding.length === 0) return state.detail
  const of = state.threshold === undefined ? '' : `/${state.threshold}`
  const holders = state.holding.map(
    (holder) => `${paint(color, '1', holder.id)} ${paint(color, '33', `${holder.consecutive503}${of}`)} 503s`,
  )
  return `waiting for ${holders.join(', ')}${state.detail ? `; ${state.detail}` : ''}`
}

/** The live terminal line: what is awaited, who holds it, elapsed against the timeout. */
export function renderLiveLine(state: WaitState, color: boolean): string {
  const clock = paint(color, '2', `${formatDuration(state.elapsedMs)} / ${formatDuration(state.timeoutMs)}`)
  const what = state.waitingFor
  return `${paint(color, '36', what)} ${clock} ${describeWait(state, color)}`
}

/** Shows each state of a wait in the mode given; `clear()` removes a live line before the result prints. */
export class Progress {
  private drawn = false
  private last: string | undefined
  constructor(
    private readonly io: Io,
    private readonly mode: ProgressMode,
  ) {}

  show(state: WaitState): void {
    const words = describeWait(state)
    if (this.mode === 'tty') {
      this.io.stderr.write(`\r\x1b[2K${renderLiveLine(state, useColor(this.io))}`)
      this.drawn = true
      return
    }
    if (words === this.last) return
    this.last = words
    if (this.mode === 'json') {
      this.io.out(
        JSON.stringify({
          event: 'waiting',
          waitingFor: state.waitingFor,
          elapsedMs: Math.round(state.elapsedMs),
          timeoutMs: state.timeoutMs,
          holding: state.holding,
          threshold: state.threshold,
          detail: state.detail,
        }),
      )
    } else this.io.err(`${formatDuration(state.elapsedMs)}: ${words}`)
  }

  clear(): void {
    if (this.drawn) this.io.stderr.write('\r\x1b[2K')
    this.drawn = false
  }
}
