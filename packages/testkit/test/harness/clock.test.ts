import { describe, expect, it } from 'vitest'
import { createSimulatorClock } from '../../src/harness/index.js'

describe('createSimulatorClock', () => {
  it('starts where told and stands still until advanced', () => {
    const clock = createSimulatorClock({ start: '2030-01-01T00:00:00.000Z' })
    expect(clock.isoNow()).toBe('2030-01-01T00:00:00.000Z')
    expect(clock.now()).toBe(Date.parse('2030-01-01T00:00:00.000Z'))
  })

  it('runs due timers in time order (ties in setting order), each at its own time', async () => {
    const clock = createSimulatorClock({ start: 0 })
    const seen: string[] = []
    clock.setTimer({ delay: 300 }, () => {
      seen.push(`c@${clock.now()}`)
    })
    clock.setTimer({ at: 100 }, () => {
      seen.push(`a@${clock.now()}`)
    })
    clock.setTimer({ delay: 100 }, () => {
      seen.push(`b@${clock.now()}`)
    })
    clock.setTimer({ delay: 1_000 }, () => {
      seen.push('too late')
    })
    await clock.advance(500)
    expect(seen).toEqual(['a@100', 'b@100', 'c@300'])
    expect(clock.now()).toBe(500)
    expect(clock.pendingTimers()).toBe(1)
  })

  it('awaits async timer work before running the next timer', async () => {
    const clock = createSimulatorClock({ start: 0 })
    const seen: string[] = []
    clock.setTimer({ delay: 10 }, async () => {
      await new Promise((resolve) => setImmediate(resolve))
      seen.push('slow first')
    })
    clock.setTimer({ delay: 20 }, () => {
      seen.push('second')
    })
    await clock.advance(20)
    expect(seen).toEqual(['slow first', 'second'])
  })

  it('runs timers set by timers when they fall inside the window', async () => {
    const clock = createSimulatorClock({ start: 0 })
    const seen: number[] = []
    clock.setTimer({ delay: 10 }, () => {
      seen.push(clock.now())
      clock.setTimer({ delay: 10 }, () => {
        seen.push(clock.now())
      })
    })
    await clock.advance(25)
    expect(seen).toEqual([10, 20])
  })

  it('cancels timers', async () => {
    const clock = createSimulatorClock({ start: 0 })
    let ran = false
    const timer = clock.setTimer({ delay: 10 }, () => {
      ran = true
    })
    timer.cancel()
    await clock.advance(100)
    expect(ran).toBe(false)
    expect(clock.pendingTimers()).toBe(0)
  })

  it('rejects advance when a timer throws', async () => {
    const clock = createSimulatorClock({ start: 0 })
    clock.setTimer({ delay: 10 }, () => {
      throw new Error('timer failed')
    })
    await expect(clock.advance(10)).rejects.toThrow('timer failed')
  })

  it('in real mode follows the wall clock plus advances, and advance runs due timers', async () => {
    const clock = createSimulatorClock({ mode: 'real', start: 0 })
    let ran = false
    clock.setTimer({ delay: 3_600_000 }, () => {
      ran = true
    })
    await clock.advance(3_600_000)
    expect(ran).toBe(true)
    expect(clock.now()).toBeGreaterThanOrEqual(3_600_000)
  })

  it('in real mode fires timers on its own', async () => {
    const clock = createSimulatorClock({ mode: 'real' })
    const fired = new Promise<number>((resolve) => {
      clock.setTimer({ delay: 5 }, () => resolve(clock.now()))
    })
    const at = await fired
    expect(clock.pendingTimers()).toBe(0)
    expect(at).toBeGreaterThan(0)
  })

  it('refuses to move backwards', () => {
    const clock = createSimulatorClock()
    expect(() => clock.advance(-1)).toThrow(RangeError)
  })
})
