import type { Verification } from '@openkyc/core'
import { createMockVerification } from '@openkyc/core/test'
import { scenarioById } from '@openkyc/testkit/catalogue'
import { describe, expect, it } from 'vitest'
import { capabilityMatrix } from '../src/comparison.js'
import { createDemoState } from '../src/demo-state.js'

function state() {
  return createDemoState({
    providers: [{ provider: 'jumio', mode: 'simulator', description: 'test' }],
    capabilities: capabilityMatrix([]),
  })
}

const at = (seconds: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, seconds)).toISOString()

const verification = (overrides: Partial<Verification>): Verification =>
  createMockVerification({ id: 'v1', provider: 'jumio', reference: { id: 'v1' }, ...overrides })

describe('createDemoState', () => {
  it('moves a verification forward only, so a late read never hides a webhook-driven decision', () => {
    const demo = state()
    demo.addRow({ id: 'r', source: 'new', scenario: scenarioById('clean_approve') })
    const completed = verification({
      status: 'completed',
      updatedAt: at(2),
      decision: { outcome: 'approved', reasons: [], decidedBy: 'provider', raw: { status: 'approved' } },
    })
    demo.record('r', 'jumio', { verification: completed })
    demo.record('r', 'jumio', { verification: verification({ status: 'in_progress', updatedAt: at(1) }) })
    expect(demo.row('r')?.results.jumio).toMatchObject({ status: 'completed', outcome: 'approved' })
    expect(demo.rowFor('jumio', 'v1')).toBe('r')
  })

  it('adds identity data from a read that is as far along as the webhook state', () => {
    const demo = state()
    demo.addRow({ id: 'r', source: 'new', scenario: scenarioById('clean_approve') })
    const fromEvent = verification({ status: 'submitted', updatedAt: at(1) })
    demo.record('r', 'jumio', { verification: fromEvent })
    demo.record('r', 'jumio', {
      verification: { ...fromEvent, identity: { firstName: 'Ann', sex: 'female' } },
    })
    expect(demo.verification('r', 'jumio')?.identity).toEqual({ firstName: 'Ann', sex: 'female' })
    expect(demo.row('r')?.results.jumio?.identityFields).toEqual(['firstName', 'sex'])
  })

  it('sums create and last-read time as the latency, and clears an error after a good read', () => {
    const demo = state()
    demo.addRow({ id: 'r', source: 'new', scenario: scenarioById('clean_approve') })
    demo.record('r', 'jumio', { verification: verification({}), timings: { createMs: 10, readMs: 0 } })
    demo.record('r', 'jumio', { error: 'The jumio API answered 503.' })
    expect(demo.row('r')?.results.jumio?.error).toBe('The jumio API answered 503.')
    demo.record('r', 'jumio', {
      verification: verification({ status: 'in_progress', updatedAt: at(5) }),
      timings: { readMs: 5 },
    })
    expect(demo.row('r')?.results.jumio).toMatchObject({ error: null, latencyMs: 15, status: 'in_progress' })
  })

  it('notifies subscribers until they unsubscribe, and survives a throwing subscriber', () => {
    const demo = state()
    const seen: string[] = []
    demo.subscribe(() => {
      throw new Error('closed stream')
    })
    const unsubscribe = demo.subscribe((change) => seen.push(change.row.id))
    demo.addRow({ id: 'a', source: 'new', scenario: scenarioById('underage') })
    unsubscribe()
    demo.addRow({ id: 'b', source: 'new', scenario: scenarioById('underage') })
    expect(seen).toEqual(['a'])
    expect(demo.snapshot().rows.map((row) => row.id)).toEqual(['a', 'b'])
  })

  it('refuses to record on an unknown row', () => {
    expect(() => state().record('missing', 'jumio', {})).toThrow(/Unknown demo row "missing"/)
  })
})
