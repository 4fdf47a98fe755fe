import type { SimulatorClock } from '@openkyc/testkit/harness'

/** A `sleep` whose waits pass on a simulator clock, plus the loop that moves that clock. */
export type VirtualTime = {
  /** Waits `ms` of simulated time; costs no real time. Rejects with `signal.reason` on abort. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
  /** Tells the scheduler that something happened (a request sent or answered), so it is not idle yet. */
  touch(): void
  /**
   * Runs `work` to completion: whenever every caller is waiting in `sleep`, the clock jumps to the
   * earliest wake-up time (running the simulator's own timers on the way) and wakes the sleepers due.
   */
  run<T>(work: Promise<T>): Promise<T>
  /** How many sleeps were requested, and their total simulated length. */
  readonly stats: { sleeps: number; sleptMs: number }
}

type Sleeper = { at: number; resolve: () => void }

const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * Discrete-event time for in-process load tests: callers sleep on the simulator's clock, and the
 * clock only moves once nothing else can happen at the current instant. Throughput measured this
 * way is throughput against the simulator's rate windows, independent of how fast this machine is.
 *
 * @example
 * ```ts
 * const time = createVirtualTime(simulator.clock)
 * const adapter = createPersona({ ..., now: simulator.clock.now, sleep: time.sleep })
 * await time.run(Promise.all(jobs.map((job) => job())))
 * ```
 */
export function createVirtualTime(clock: SimulatorClock): VirtualTime {
  const sleepers: Sleeper[] = []
  let activity = 0
  const stats = { sleeps: 0, sleptMs: 0 }

  /** Waits until nothing has happened for a few event-loop turns: every in-flight call is asleep. */
  const settle = async () => {
    let quietTurns = 0
    let seen = activity
    while (quietTurns < 3) {
      await turn()
      if (activity === seen) quietTurns += 1
      else {
        seen = activity
        quietTurns = 0
      }
    }
  }

  return {
    stats,
    sleep(ms, signal) {
      activity += 1
      stats.sleeps += 1
      stats.sleptMs += Math.max(0, ms)
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason)
        const sleeper: Sleeper = { at: clock.now() + Math.max(0, ms), resolve }
        sleepers.push(sleeper)
        signal?.addEventListener(
          'abort',
          () => {
            const index = sleepers.indexOf(sleeper)
            if (index !== -1) sleepers.splice(index, 1)
            reject(signal.reason)
          },
          { once: true },
        )
      })
    },
    touch() {
      activity += 1
    },
    async run(work) {
      let done = false
      const tracked = work.finally(() => {
        done = true
      })
      tracked.catch(() => undefined)
      while (!done) {
        await settle()
        if (done || sleepers.length === 0) continue
        const next = Math.min(...sleepers.map((sleeper) => sleeper.at))
        if (next > clock.now()) await clock.advance(next - clock.now())
        const now = clock.now()
        for (const sleeper of sleepers.filter((candidate) => candidate.at <= now)) {
          sleepers.splice(sleepers.indexOf(sleeper), 1)
          activity += 1
          sleeper.resolve()
        }
      }
      return tracked
    },
  }
}
