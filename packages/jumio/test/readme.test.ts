import { readFileSync } from 'node:fs'
import { kycCapabilities } from '@openkyc/core'
import { codeSpans, markdownTableAfter } from '@openkyc/testkit'
import { describe, expect, it } from 'vitest'
import { jumioCapabilities, jumioEnvironmentVariables } from '../src/index.js'
import {
  jumioCapabilityKinds,
  jumioReasonTable,
  mapJumioCheckKind,
  mapJumioReasonCode,
} from '../src/map-jumio-capability.js'
import { mapJumioCredentialKind, mapJumioPart } from '../src/map-jumio-credential.js'
import { mapJumioDecisionOutcome } from '../src/map-jumio-decision.js'
import { mapJumioDocumentType } from '../src/map-jumio-identity.js'
import { mapJumioStatus } from '../src/map-jumio-status.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

/** The body rows of the first table after a heading (or after a line of text), as cells. */
const tableAfter = (marker: string, occurrence = 0) => markdownTableAfter(readme, marker, { occurrence })

describe('README mapping tables match the mappers, row by row', () => {
  it('workflow status → status', () => {
    const rows = tableAfter('### Workflow status → status')
    expect(rows).toHaveLength(7)
    for (const [jumio, ours] of rows) {
      const expected = codeSpans(ours)
      if (jumio === 'anything else') {
        expect(mapJumioStatus('SOMETHING_NEW')).toBe(expected[0])
        continue
      }
      const status = codeSpans(jumio)[0]!
      if (status === 'INITIATED') {
        expect([mapJumioStatus(status), mapJumioStatus(status, { started: true })]).toEqual(
          expected.slice(0, 2),
        )
      } else if (status === 'PROCESSED') {
        expect(expected).toEqual([
          'completed',
          'expired',
          'NOT_EXECUTED',
          'TOKEN_EXPIRED',
          'SESSION_EXPIRED',
          'submitted',
        ])
        expect(mapJumioStatus(status)).toBe('completed')
        expect(mapJumioStatus(status, { decisionLabel: 'TOKEN_EXPIRED' })).toBe('expired')
        expect(mapJumioStatus(status, { decisionLabel: 'SESSION_EXPIRED' })).toBe('expired')
        expect(mapJumioStatus(status, { detailsAvailable: false })).toBe('submitted')
      } else {
        expect(mapJumioStatus(status)).toBe(expected[0])
      }
    }
  })

  it('decision type → outcome', () => {
    const rows = tableAfter('### Decision type → outcome')
    expect(rows).toHaveLength(5)
    for (const [jumio, ours] of rows) {
      const type = jumio === 'anything else' ? 'SOMETHING_NEW' : codeSpans(jumio)[0]
      expect(mapJumioDecisionOutcome(type)).toBe(codeSpans(ours)[0])
    }
  })

  it('capability → check kind, with every capability the code knows', () => {
    const rows = tableAfter('| Jumio capability | check `kind` |')
    expect(rows.map(([capability]) => codeSpans(capability)[0]).filter(Boolean)).toEqual(
      Object.keys(jumioCapabilityKinds),
    )
    for (const [capability, kind] of rows) {
      if (capability === 'anything else') {
        expect(mapJumioCheckKind('somethingNew', ['ID'])).toBe(codeSpans(kind)[0])
        continue
      }
      const name = codeSpans(capability)[0]!
      expect(mapJumioCheckKind(name, ['ID'])).toBe(codeSpans(kind)[0])
      if (name === 'usability') expect(mapJumioCheckKind(name, ['SELFIE'])).toBe(codeSpans(kind)[3])
    }
  })

  it('capability label → reason code: every README row holds, and every table entry is in the README', () => {
    const rows = tableAfter('| capability | Jumio labels | reason `code` |')
    const documented = new Set<string>()
    for (const [capability, labels, code] of rows) {
      const expected = codeSpans(code)[0]
      const name = capability === 'any' ? 'someCapability' : codeSpans(capability)[0]!
      if (labels === 'anything else') {
        expect(mapJumioReasonCode(name, 'SOMETHING_NEW')).toBe(expected)
        continue
      }
      for (const label of codeSpans(labels)) {
        expect(mapJumioReasonCode(name, label), `${name} ${label}`).toBe(expected)
        documented.add(`${name} ${label}`)
      }
    }
    for (const [capability, labels] of Object.entries(jumioReasonTable)) {
      for (const label of Object.keys(labels)) expect(documented).toContain(`${capability} ${label}`)
    }
  })

  it('credential categories, part classifiers and document types', () => {
    for (const [category, kind] of tableAfter('| Jumio credential `category` |')) {
      expect(mapJumioCredentialKind(codeSpans(category)[0])).toBe(codeSpans(kind)[0])
    }
    for (const [classifiers, part] of tableAfter('| Jumio part `classifier` |')) {
      const names = codeSpans(classifiers).flatMap((name) =>
        name === 'LIVENESS_6' ? ['LIVENESS_2', 'LIVENESS_6'] : [name],
      )
      for (const name of names) expect(mapJumioPart(name), name).toBe(codeSpans(part)[0])
    }
    for (const [type, ours] of tableAfter('| Jumio extraction `type` |')) {
      const [first] = codeSpans(type)
      expect(mapJumioDocumentType(first)).toBe(codeSpans(ours)[0])
      if (first === 'ID_CARD')
        expect(mapJumioDocumentType(first, 'RESIDENT_PERMIT_ID')).toBe(codeSpans(ours)[1])
      if (first === 'UNSUPPORTED') expect(mapJumioDocumentType('SOMETHING_NEW')).toBe(codeSpans(ours)[0])
    }
  })

  it('capabilities as declared', () => {
    const rows = tableAfter('## Capabilities')
    const declared = new Map(
      rows.flatMap(([names, answer]) => codeSpans(names).map((name) => [name, answer === 'yes'] as const)),
    )
    expect([...declared.keys()].sort()).toEqual([...kycCapabilities].sort())
    for (const capability of kycCapabilities)
      expect(declared.get(capability)).toBe(jumioCapabilities[capability])
  })

  it('names every environment variable in the configuration table', () => {
    const table = tableAfter('## Configuration')
      .map((row) => row.join(' '))
      .join('\n')
    for (const variable of Object.values(jumioEnvironmentVariables)) expect(table).toContain(variable)
  })
})
