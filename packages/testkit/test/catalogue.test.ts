import {
  CheckKindSchema,
  CountryCodeSchema,
  DecisionOutcomeSchema,
  DocumentTypeSchema,
  ReasonCodeSchema,
  VerificationStatusSchema,
} from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import {
  type ScenarioExpectation,
  scenarioById,
  scenarioByLastName,
  scenarioIds,
  scenarios,
} from '../src/catalogue/index.js'

const required = [
  'clean_approve',
  'expired_document',
  'tampered_document',
  'unreadable_document',
  'face_mismatch',
  'liveness_failure',
  'repeated_face',
  'watchlist_hit',
  'underage',
  'applicant_abandons',
  'manual_review_then_approve',
]

function expectValidExpectation(expected: ScenarioExpectation): void {
  VerificationStatusSchema.parse(expected.status)
  if (expected.outcome !== undefined) DecisionOutcomeSchema.parse(expected.outcome)
  for (const code of expected.reasonCodes) ReasonCodeSchema.parse(code)
  for (const kind of expected.checkKinds) CheckKindSchema.parse(kind)
  expect(expected.outcome !== undefined).toBe(expected.status === 'completed')
  if (expected.outcome === 'approved') expect(expected.reasonCodes).toEqual([])
  else if (expected.outcome !== undefined) expect(expected.reasonCodes.length).toBeGreaterThan(0)
}

describe('scenario catalogue', () => {
  it('holds every required scenario once, in a stable order', () => {
    expect(scenarioIds).toEqual(required)
  })

  it.each(scenarios.map((scenario) => [scenario.id, scenario] as const))(
    '%s has a well-formed synthetic applicant and expectation',
    (_id, scenario) => {
      const { applicant } = scenario
      CountryCodeSchema.parse(applicant.issuingCountry)
      CountryCodeSchema.parse(applicant.nationality)
      DocumentTypeSchema.parse(applicant.documentType)
      for (const date of [applicant.dateOfBirth, applicant.issueDate, applicant.expiryDate]) {
        expect(date).toMatch(/^\d{4}-\d{2}-\d{2}$/)
        expect(Number.isNaN(Date.parse(date))).toBe(false)
      }
      expect(applicant.documentNumber).toMatch(/^ZZ\d+$/)
      expect(applicant.lastName).toMatch(/^Testperson-/)
      expectValidExpectation(scenario.expected)
      if (scenario.expected.intermediate) expectValidExpectation(scenario.expected.intermediate)
    },
  )

  it('gives every applicant distinct personal data, so a leak can be traced to its scenario', () => {
    for (const field of ['firstName', 'lastName', 'dateOfBirth', 'documentNumber'] as const) {
      const values = scenarios.map((scenario) => scenario.applicant[field])
      expect(new Set(values).size).toBe(values.length)
    }
  })

  it('realises the scenario names in the data: expired is expired, underage is under 18', () => {
    const expired = scenarioById('expired_document').applicant
    expect(Date.parse(expired.expiryDate)).toBeLessThan(Date.parse('2020-01-01'))
    for (const scenario of scenarios.filter((entry) => entry.id !== 'expired_document')) {
      expect(Date.parse(scenario.applicant.expiryDate)).toBeGreaterThan(Date.parse('2028-01-01'))
    }
    const minor = scenarioById('underage').applicant
    expect(Date.parse(minor.dateOfBirth)).toBeGreaterThan(Date.parse('2010-01-01'))
  })

  it('finds scenarios by id and by magic last name', () => {
    expect(scenarioById('watchlist_hit').applicant.lastName).toBe('Testperson-Watchlist')
    expect(scenarioByLastName(' testperson-watchlist ')?.id).toBe('watchlist_hit')
    expect(scenarioByLastName('Unknown')).toBeUndefined()
    expect(() => scenarioById('nope' as never)).toThrow(RangeError)
  })

  it('describes the two-step review scenario with its intermediate review', () => {
    const scenario = scenarioById('manual_review_then_approve')
    expect(scenario.expected.intermediate).toMatchObject({ outcome: 'review' })
    expect(scenario.expected).toMatchObject({ outcome: 'approved', decidedBy: 'manual' })
  })
})

describe('catalogue entry point', () => {
  it('imports no test runner', async () => {
    const { readFile } = await import('node:fs/promises')
    const { fileURLToPath } = await import('node:url')
    for (const file of ['index.ts', 'scenario.ts', 'scenarios.ts']) {
      const source = await readFile(
        fileURLToPath(new URL(`../src/catalogue/${file}`, import.meta.url)),
        'utf8',
      )
      expect(source).not.toMatch(/from ['"]vitest/)
    }
  })
})
