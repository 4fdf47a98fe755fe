import { type KycAdapter, kycCapabilities } from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import { scenarioById, scenarioIds } from '../src/catalogue/index.js'
import { conformanceTestIds } from '../src/conformance/index.js'
import { readOnlyConformanceChecks, readOnlySuiteCheckNames } from '../src/conformance/read-only-checks.js'
import {
  createCapturingLogger,
  describeDerivedChecks,
  expectNoPersonalData,
  expectScenarioState,
  instantSleep,
  personalDataOf,
} from '../src/conformance/support.js'
import { webhookForgeriesByScheme, webhookSchemeOf } from '../src/harness/index.js'

describe('webhook schemes', () => {
  it('run stale-timestamp only where there is a timestamp, and read the former name as timestamped', () => {
    expect(webhookForgeriesByScheme['timestamped-signature']).toContain('stale-timestamp')
    expect(webhookForgeriesByScheme['body-signature']).not.toContain('stale-timestamp')
    expect(webhookForgeriesByScheme['unsigned-fetch-back']).toEqual(['tampered-body'])
    expect(webhookSchemeOf({ webhookSecurity: 'signature' })).toBe('timestamped-signature')
    expect(webhookSchemeOf({ webhookSecurity: 'body-signature' })).toBe('body-signature')
  })
})

describe('conformance test ids', () => {
  it('are unique and name every scenario and capability', () => {
    expect(new Set(conformanceTestIds).size).toBe(conformanceTestIds.length)
    for (const id of scenarioIds) {
      expect(conformanceTestIds).toContain(`scenario.${id}.read`)
      expect(conformanceTestIds).toContain(`scenario.${id}.webhook`)
    }
    for (const capability of kycCapabilities) {
      expect(conformanceTestIds).toContain(`capability.${capability}`)
      expect(conformanceTestIds).toContain(`capability.${capability}.undeclared`)
    }
  })
})

describe('conformance assertions', () => {
  const approved = {
    id: 'v_1',
    provider: 'test',
    reference: { id: 'v_1' },
    status: 'completed' as const,
    decision: {
      outcome: 'approved' as const,
      reasons: [],
      decidedBy: 'provider' as const,
      raw: { status: 'ok' },
    },
    checks: ['document_authenticity', 'face_match', 'liveness'].map((kind) => ({
      kind: kind as 'liveness',
      outcome: 'passed' as const,
      reasons: [],
      raw: { name: kind },
    })),
    credentials: [],
    createdAt: '2030-01-01T00:00:00Z',
    updatedAt: '2030-01-01T00:00:00Z',
    raw: { status: 'ok' },
  }

  it('accept a state that matches the scenario', () => {
    expect(() => expectScenarioState(approved, scenarioById('clean_approve').expected, 'test')).not.toThrow()
  })

  it('reject a wrong outcome, an extra reason, a missing check kind or the wrong decider', () => {
    const expected = scenarioById('clean_approve').expected
    const declined = { ...approved, decision: { ...approved.decision, outcome: 'declined' as const } }
    expect(() => expectScenarioState(declined, expected, 'test')).toThrow(/decision outcome/)
    const extraReason = {
      ...approved,
      decision: { ...approved.decision, reasons: [{ code: 'other' as const }] },
    }
    expect(() => expectScenarioState(extraReason, expected, 'test')).toThrow(/reason codes/)
    expect(() =>
      expectScenarioState({ ...approved, checks: approved.checks.slice(1) }, expected, 'test'),
    ).toThrow(/document_authenticity/)
    const manual = { ...approved, decision: { ...approved.decision, decidedBy: 'manual' as const } }
    expect(() => expectScenarioState(manual, expected, 'test')).toThrow(/decided by/)
    expect(() => expectScenarioState(undefined, expected, 'test')).toThrow(/no verification state/)
  })

  it('count reported checks only towards the expected kinds', () => {
    const expected = scenarioById('clean_approve').expected
    const derivedOnly = {
      ...approved,
      checks: approved.checks.map((check) => ({ ...check, source: 'derived' as const })),
    }
    expect(() => expectScenarioState(derivedOnly, expected, 'test')).toThrow(
      /a reported "document_authenticity" check/,
    )
    const explicitlyReported = {
      ...approved,
      checks: approved.checks.map((check) => ({ ...check, source: 'reported' as const })),
    }
    expect(() => expectScenarioState(explicitlyReported, expected, 'test')).not.toThrow()
  })

  it('with derived checks declared, skip the kinds but refuse a check that claims to be reported', () => {
    const expected = scenarioById('face_mismatch').expected
    const declined = {
      ...approved,
      decision: {
        ...approved.decision,
        outcome: 'declined' as const,
        reasons: [{ code: 'face_mismatch' as const }],
      },
    }
    const derived = { ...declined, checks: [] }
    expect(() => expectScenarioState(derived, expected, 'test', { checkResults: 'derived' })).not.toThrow()
    expect(() => expectScenarioState(declined, expected, 'test', { checkResults: 'derived' })).toThrow(
      /yet a "document_authenticity" check says it was reported/,
    )
  })

  it('describe derived checks for the report', () => {
    expect(describeDerivedChecks(approved.checks)).toBe('no derived checks')
    expect(
      describeDerivedChecks([
        {
          kind: 'face_match',
          outcome: 'failed',
          reasons: [{ code: 'face_mismatch' }],
          source: 'derived',
          raw: { name: 'decision' },
        },
      ]),
    ).toBe('face_match failed (face_mismatch)')
  })

  it('find personal data anywhere in a serialized value, without printing it', () => {
    const needles = personalDataOf([scenarioById('underage').applicant])
    expect(needles).toEqual(['Wrenolyn', 'Testperson-Minor', '2012-08-09', 'ZZ4100009'])
    expect(() =>
      expectNoPersonalData({ nested: ['fine', { note: 'born 2012-08-09' }] }, needles, 'a log'),
    ).toThrow('personal data of a catalogue applicant appears in a log')
    expect(() => expectNoPersonalData({ nested: 'nothing here' }, needles, 'a log')).not.toThrow()
  })

  it('capture every log level', () => {
    const { logger, lines } = createCapturingLogger()
    logger.debug('a', { x: 1 })
    logger.error('b')
    expect(lines).toEqual([
      { level: 'debug', message: 'a', fields: { x: 1 } },
      { level: 'error', message: 'b', fields: undefined },
    ])
  })

  it('sleep without waiting, but honour an aborted signal', async () => {
    await expect(instantSleep(60_000)).resolves.toBeUndefined()
    await expect(instantSleep(1, AbortSignal.abort(new Error('stop')))).rejects.toThrow('stop')
  })
})

describe('read-only conformance checks', () => {
  const declaredNone = Object.fromEntries(kycCapabilities.map((capability) => [capability, false]))

  it('name the suite tests they share (interface, every undeclared capability), and add the vendor-read checks', () => {
    const adapter = {
      specificationVersion: 'v1',
      provider: 'acme',
      capabilities: { ...declaredNone, cancel: true },
      cancelVerification: async () => ({}),
      createVerification: async () => ({}),
      getVerification: async () => ({}),
      parseWebhook: async () => [],
    } as unknown as KycAdapter
    const suiteNames = readOnlySuiteCheckNames(adapter.capabilities)
    expect(suiteNames).toEqual([
      'interface',
      ...kycCapabilities
        .filter((capability) => capability !== 'cancel')
        .map((c) => `capability.${c}.undeclared`),
    ])
    for (const name of suiteNames) expect(conformanceTestIds).toContain(name)
    const names = readOnlyConformanceChecks({
      adapter,
      requestCount: () => 0,
      absentReference: { id: 'absent' },
      secrets: ['sk_live_secret'],
    }).map((check) => check.name)
    expect(names).toEqual([...suiteNames, 'read-unknown', 'webhook-forged', 'no-secrets'])
  })

  it('fail a broken adapter with a message, and catch a secret in an error', async () => {
    const secret = 'sk_live_0123456789'
    const broken = {
      specificationVersion: 'v1',
      provider: 'acme',
      // Declares cancel without a method; reads of an unknown verification "succeed"; webhooks are not verified.
      capabilities: { ...declaredNone, cancel: true },
      createVerification: async () => ({}),
      getVerification: async () => ({}),
      parseWebhook: async () => {
        throw new Error(`bad token ${secret}`)
      },
    } as unknown as KycAdapter
    const results = new Map<string, string | undefined>()
    for (const check of readOnlyConformanceChecks({
      adapter: broken,
      requestCount: () => 0,
      absentReference: { id: 'absent' },
      secrets: [secret],
    })) {
      results.set(
        check.name,
        await check.run().then(
          () => undefined,
          (error: Error) => error.message,
        ),
      )
    }
    expect(results.get('interface')).toMatch(/declared capability has no method/)
    expect(results.get('read-unknown')).toBe('reading a verification that does not exist: it succeeded')
    expect(results.get('webhook-forged')).toBe('a forged webhook: it threw Error, not a KycError')
    expect(results.get('no-secrets')).toBe('an error message holds a credential')
    for (const message of results.values()) expect(message ?? '').not.toContain(secret)
  })
})
