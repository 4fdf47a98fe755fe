import { readFileSync } from 'node:fs'
import { codeSpans, markdownTableAfter } from '@openkyc/testkit'
import { describe, expect, it } from 'vitest'
import {
  createOnfido,
  mapOnfidoCheckKind,
  mapOnfidoCheckStatus,
  mapOnfidoDocumentType,
  mapOnfidoReason,
  mapOnfidoResult,
  mapOnfidoWorkflowRunStatus,
  onfidoCheckKindTable,
  onfidoEventType,
  onfidoReasonTable,
  onfidoSubResultReasonTable,
  reasonsOfSubResults,
} from '../src/index.js'
import { testSettings } from './fixtures.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

/** The body rows of the first table after a heading, as cells. */
const tableAfter = (marker: string) => markdownTableAfter(readme, marker)

describe('README mapping tables match the mappers, row by row', () => {
  it('workflow run status → status and outcome: all eight statuses and the fallback', () => {
    const rows = tableAfter('### Workflow run status → status and outcome')
    expect(rows).toHaveLength(9)
    for (const [vendor, status, outcome] of rows) {
      const input = vendor === 'anything else' ? 'brand_new_status' : codeSpans(vendor)[0]
      expect(mapOnfidoWorkflowRunStatus(input), vendor).toEqual({
        status: codeSpans(status)[0],
        ...(codeSpans(outcome)[0] ? { outcome: codeSpans(outcome)[0] } : {}),
      })
    }
  })

  it('classic check status and result → status and outcome', () => {
    const rows = tableAfter('### Classic check status and result → status and outcome')
    expect(rows).toHaveLength(9)
    for (const [vendorStatus, result, status, outcome] of rows) {
      const input =
        vendorStatus === 'no check yet'
          ? undefined
          : vendorStatus === 'anything else'
            ? 'new'
            : codeSpans(vendorStatus)[0]
      expect(mapOnfidoCheckStatus(input, codeSpans(result)[0]), `${vendorStatus} ${result}`).toEqual({
        status: codeSpans(status)[0],
        ...(codeSpans(outcome)[0] ? { outcome: codeSpans(outcome)[0] } : {}),
      })
    }
  })

  it('breakdown → check kind: every row, and every table entry has a row', () => {
    const rows = tableAfter('### Reports → checks')
    const documented = new Set<string>()
    for (const [breakdown, kind] of rows) {
      const expected = codeSpans(kind)[0]
      if (breakdown === 'anything else') {
        expect(mapOnfidoCheckKind(['brand_new_family', 'x'])).toBe(expected)
        continue
      }
      const key = codeSpans(breakdown)[0]!
      documented.add(key)
      const path = key.split('.')
      // "(every breakdown)" rows hold for any breakdown name of the family.
      const probe = breakdown?.includes('every breakdown') ? [...path, 'any_breakdown'] : path
      expect(mapOnfidoCheckKind(probe), breakdown).toBe(expected)
    }
    expect(new Set(Object.keys(onfidoCheckKindTable))).toEqual(
      new Set(
        [...documented].filter(
          (key) => key !== 'proof_of_address' || 'proof_of_address' in onfidoCheckKindTable,
        ),
      ),
    )
  })

  it('result → check outcome', () => {
    const rows = tableAfter('### Result → check outcome')
    expect(rows).toHaveLength(5)
    for (const [result, outcome] of rows) {
      const input =
        result === 'none (not run)' ? null : result === 'anything else' ? 'surprising' : codeSpans(result)[0]
      expect(mapOnfidoResult(input), result).toBe(codeSpans(outcome)[0])
    }
  })

  it('breakdown → reason code: every row, and every table entry has a row', () => {
    const rows = tableAfter('### Breakdown → reason code')
    const documented = new Set<string>()
    for (const [breakdown, code] of rows) {
      if (breakdown === 'anything else') {
        expect(mapOnfidoReason(['document', 'police_record']).code).toBe(codeSpans(code)[0])
        expect(mapOnfidoReason(['brand_new', 'x']).code).toBe(codeSpans(code)[0])
        continue
      }
      const key = codeSpans(breakdown)[0]!
      documented.add(key)
      expect(mapOnfidoReason(key.split('.')), key).toEqual({ code: codeSpans(code)[0], raw: key })
    }
    expect(new Set(Object.keys(onfidoReasonTable))).toEqual(documented)
  })

  it('document sub-result → reason code: every row, and every table entry has a row', () => {
    const rows = tableAfter('### Document sub-result → reason code')
    const documented = new Set<string>()
    for (const [subResults, code] of rows) {
      for (const subResult of codeSpans(subResults)) {
        const checks = [
          {
            kind: 'other' as const,
            outcome: 'warning' as const,
            reasons: [],
            raw: { name: 'document', subResult },
          },
        ]
        const expected = codeSpans(code)[0]
        expect(reasonsOfSubResults(checks), subResult).toEqual(
          expected === undefined ? [] : [{ code: expected, raw: `document.sub_result.${subResult}` }],
        )
        if (expected !== undefined) documented.add(subResult)
      }
    }
    expect(new Set(Object.keys(onfidoSubResultReasonTable))).toEqual(documented)
  })

  it('document type', () => {
    const rows = tableAfter('### Document type')
    for (const [vendor, ours] of rows) {
      const inputs = vendor === 'anything else' ? ['proof_of_citizenship', 'utility_bill'] : codeSpans(vendor)
      for (const input of inputs) expect(mapOnfidoDocumentType(input), input).toBe(codeSpans(ours)[0])
    }
  })

  it('state after a webhook event → our event type', () => {
    const rows = tableAfter('| state after the event | our event |')
    expect(rows).toHaveLength(7)
    for (const [state, type] of rows) {
      const verification =
        state === 'redacted'
          ? { status: 'completed' as const, redactedAt: '2026-01-01T00:00:00Z' }
          : { status: codeSpans(state)[0] as 'created' }
      expect(onfidoEventType(verification), state).toBe(codeSpans(type)[0])
    }
  })

  it('capabilities table matches the declared capabilities', () => {
    const adapter = createOnfido(testSettings)
    const rows = tableAfter('| capability | declared | why |')
    for (const [names, declared] of rows) {
      for (const name of codeSpans(names)) {
        expect(adapter.capabilities[name as keyof typeof adapter.capabilities], name).toBe(declared === 'yes')
      }
    }
  })

  it('configuration table names every environment variable the settings read', () => {
    for (const variable of [
      'ONFIDO_API_TOKEN',
      'ONFIDO_REGION',
      'ONFIDO_BASE_URL',
      'ONFIDO_WORKFLOW_ID',
      'ONFIDO_WEBHOOK_TOKENS',
      'ONFIDO_WEBHOOK_TOKEN',
    ]) {
      expect(readme).toContain(`\`${variable}\``)
    }
  })
})
