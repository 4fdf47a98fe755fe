import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { lazy } from '../src/index.js'

describe('lazy', () => {
  it('builds nothing until the first call, then builds once and returns the same value', () => {
    let builds = 0
    const schema = lazy(() => {
      builds += 1
      return z.strictObject({ apiKey: z.string().min(1) })
    })
    expect(builds).toBe(0)
    const first = schema()
    expect(builds).toBe(1)
    expect(schema()).toBe(first)
    expect(builds).toBe(1)
    expect(first.parse({ apiKey: 'key' })).toEqual({ apiKey: 'key' })
  })

  it('keeps a built value that is falsy (undefined, 0) without building again', () => {
    let builds = 0
    const nothing = lazy(() => {
      builds += 1
      return undefined
    })
    expect(nothing()).toBeUndefined()
    expect(nothing()).toBeUndefined()
    expect(builds).toBe(1)
  })

  it('builds again on the next call when building threw (nothing half-built is kept)', () => {
    let builds = 0
    const flaky = lazy(() => {
      builds += 1
      if (builds === 1) throw new Error('first build fails')
      return 'built'
    })
    expect(() => flaky()).toThrow('first build fails')
    expect(flaky()).toBe('built')
    expect(builds).toBe(2)
  })
})
