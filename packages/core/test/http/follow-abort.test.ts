import { describe, expect, it } from 'vitest'
import { followAbort } from '../../src/http/index.js'

describe('followAbort', () => {
  it('aborts the controller with the caller signal reason, and only until told to stop', () => {
    const caller = new AbortController()
    const first = new AbortController()
    followAbort(first, caller.signal)
    const reason = new Error('caller gave up')
    caller.abort(reason)
    expect(first.signal.aborted).toBe(true)
    expect(first.signal.reason).toBe(reason)

    const later = new AbortController()
    const second = new AbortController()
    const stop = followAbort(second, later.signal)
    stop()
    later.abort(new Error('too late'))
    expect(second.signal.aborted).toBe(false)
  })

  it('aborts at once for an already aborted signal, and does nothing without one', () => {
    const done = AbortSignal.abort('already')
    const controller = new AbortController()
    followAbort(controller, done)
    expect(controller.signal.reason).toBe('already')

    const untouched = new AbortController()
    followAbort(untouched, undefined)()
    expect(untouched.signal.aborted).toBe(false)
  })

  it('keeps the controller own abort reason when it aborts first', () => {
    const caller = new AbortController()
    const controller = new AbortController()
    followAbort(controller, caller.signal)
    controller.abort('timed out')
    caller.abort('caller')
    expect(controller.signal.reason).toBe('timed out')
  })
})
