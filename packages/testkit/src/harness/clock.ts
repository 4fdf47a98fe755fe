/** When a timer is due: at an absolute clock time (ms since the epoch), or after a delay from now. */
export type TimerWhen = { at: number } | { delay: number }

/** A pending timer; `cancel()` removes it (a no-op once it ran). */
export type SimulatorTimer = { readonly at: number; cancel(): void }

/** Options for {@link createSimulatorClock}. */
export type SimulatorClockOptions = {
  /** Where the clock starts. Defaults to the real current time, so signed timestamps look fresh. */
  start?: Date | number | string
  /**
   * `manual` (default): time moves only through `advance()`, so tests are deterministic.
   * `real`: time follows the wall clock (plus whatever `advance()` added) and timers also fire on their
   * own, for a simulator served to a person or a browser (the demo).
   */
  mode?: 'manual' | 'real'
}

/**
 * The one source of time inside a simulator: token and session expiry, webhook retry schedules and
 * signature timestamps all read it, so a test can jump an hour ahead without waiting an hour.
 */
export type SimulatorClock = {
  readonly mode: 'manual' | 'real'
  /** Milliseconds since the epoch, as the simulated vendor sees it. */
  now(): number
  /** `now()` as an ISO 8601 string, the form vendor payloads carry. */
  isoNow(): string
  /**
   * Moves time forward by `ms`, running every timer that falls due on the way in time order (ties in
   * the order they were set) and awaiting each one's async work before the next. Timers set while
   * advancing run too when they fall within the window. A timer that throws rejects `advance`.
   */
  advance(ms: number): Promise<void>
  /** Runs `callback` once the clock reaches the given time. */
  setTimer(when: TimerWhen, callback: () => void | Promise<void>): SimulatorTimer
  /** How many timers are waiting. */
  pendingTimers(): number
}

type PendingTimer = {
  at: number
  sequence: number
  callback: () => void | Promise<void>
  realTimeout?: ReturnType<typeof setTimeout>
}

function toMilliseconds(start: SimulatorClockOptions['start']): number | undefined {
  if (start === undefined) return undefined
  const value =
    start instanceof Date ? start.getTime() : typeof start === 'number' ? start : Date.parse(start)
  if (!Number.isFinite(value)) throw new TypeError('createSimulatorClock: start is not a valid time')
  return value
}

/**
 * Creates a controllable clock for a simulator.
 *
 * @example
 * ```ts
 * const clock = createSimulatorClock({ start: '2030-01-01T00:00:00Z' })
 * clock.setTimer({ delay: 60_000 }, () => expireSession(id))
 * await clock.advance(60_000) // the session expires now, without waiting a minute
 * ```
 */
export function createSimulatorClock(options: SimulatorClockOptions = {}): SimulatorClock {
  const mode = options.mode ?? 'manual'
  const startedAt = toMilliseconds(options.start) ?? Date.now()
  const realStartedAt = Date.now()
  let offset = 0
  let manualNow = startedAt
  let sequence = 0
  const timers: PendingTimer[] = []
  // Timers run one at a time, whether `advance()` or a real timeout triggered them.
  let running: Promise<void> = Promise.resolve()

  const now = (): number =>
    mode === 'manual' ? manualNow : startedAt + (Date.now() - realStartedAt) + offset

  const nextDue = (upTo: number): PendingTimer | undefined => {
    let best: PendingTimer | undefined
    for (const timer of timers) {
      if (timer.at > upTo) continue
      if (
        best === undefined ||
        timer.at < best.at ||
        (timer.at === best.at && timer.sequence < best.sequence)
      )
        best = timer
    }
    return best
  }

  const remove = (timer: PendingTimer): boolean => {
    const index = timers.indexOf(timer)
    if (index === -1) return false
    timers.splice(index, 1)
    if (timer.realTimeout !== undefined) clearTimeout(timer.realTimeout)
    return true
  }

  const runDue = async (upTo: () => number, onEach?: (timer: PendingTimer) => void): Promise<void> => {
    for (let timer = nextDue(upTo()); timer !== undefined; timer = nextDue(upTo())) {
      remove(timer)
      onEach?.(timer)
      await timer.callback()
    }
  }

  const serialize = (work: () => Promise<void>): Promise<void> => {
    const result = running.then(work)
    running = result.catch(() => undefined)
    return result
  }

  const armRealTimeout = (timer: PendingTimer): void => {
    if (mode !== 'real') return
    const timeout = setTimeout(
      () => {
        // The timeout measured the delay on the monotonic clock; `now()` reads the wall clock, which may
        // still be a millisecond short of `timer.at`: run this timer anyway, or it would never run.
        void serialize(() => runDue(() => Math.max(now(), timer.at))).catch(() => undefined)
      },
      Math.max(0, timer.at - now()),
    )
    timeout.unref?.()
    timer.realTimeout = timeout
  }

  return {
    mode,
    now,
    isoNow: () => new Date(now()).toISOString(),
    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError('SimulatorClock.advance: ms must be >= 0')
      return serialize(async () => {
        const target = now() + ms
        if (mode === 'manual') {
          await runDue(
            () => target,
            (timer) => {
              manualNow = Math.max(manualNow, timer.at)
            },
          )
          manualNow = target
        } else {
          offset += ms
          await runDue(now)
        }
      })
    },
    setTimer(when, callback) {
      const at = 'at' in when ? when.at : now() + Math.max(0, when.delay)
      const timer: PendingTimer = { at, sequence: sequence++, callback }
      timers.push(timer)
      armRealTimeout(timer)
      return {
        at,
        cancel: () => {
          remove(timer)
        },
      }
    },
    pendingTimers: () => timers.length,
  }
}
