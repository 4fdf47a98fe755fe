import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createKyc, createMemoryStore, KycInvalidRequestError, type Verification } from '../src/index.js'
import {
  type RoutingRecord,
  RoutingRecordSchema,
  serializeRoutingRecord,
} from '../src/routing/routing-record.js'
import { storeRoutedVerification } from '../src/routing/store-routing.js'
import { parseAuditEntryInput, verifyAuditChain } from '../src/store/audit-entry.js'
import { markParsed } from '../src/store/validate.js'
import { createMockAdapter } from '../src/test/index.js'

const verification: Verification = {
  id: 'inq_1',
  provider: 'persona',
  reference: { verificationId: 'inq_1' },
  subjectReference: 'subject_1',
  status: 'created',
  checks: [],
  credentials: [],
  createdAt: '2030-01-01T00:00:00.000Z',
  updatedAt: '2030-01-01T00:00:00.000Z',
  raw: { status: 'created' },
}

const routing: RoutingRecord = {
  role: 'primary',
  basis: 'split',
  chosen: 'persona',
  attempts: [{ provider: 'persona', result: 'created' }],
  skipped: [],
  country: 'DE',
  documentTypes: ['passport'],
}

async function auditOf(store: ReturnType<typeof createMemoryStore>) {
  const entries = []
  for await (const entry of store.audit.read()) entries.push(entry)
  return entries
}

describe('parseAuditEntryInput', () => {
  it('takes an entry core marked as it is, once: the next call parses it again', () => {
    const entry = {
      provider: 'persona',
      verificationId: 'inq_1',
      action: 'routing' as const,
      actor: 'application' as const,
      reasons: [],
      routing,
    }
    expect(parseAuditEntryInput(markParsed(entry))).toBe(entry)
    const parsedAgain = parseAuditEntryInput(entry)
    expect(parsedAgain).toEqual(entry)
    expect(parsedAgain).not.toBe(entry)
    expect(() => parseAuditEntryInput({ ...entry, subjectReference: 'subject_1' })).toThrow(
      KycInvalidRequestError,
    )
  })
})

describe('storeRoutedVerification', () => {
  it('stores the verification and a routing entry whose hash chain verifies', async () => {
    const store = createMemoryStore()
    await storeRoutedVerification(store, {
      verification,
      fileUnder: { provider: 'persona', id: 'inq_1' },
      routing,
    })
    const [entry] = await auditOf(store)
    expect(entry).toMatchObject({
      provider: 'persona',
      verificationId: 'inq_1',
      action: 'routing',
      to: { status: 'created' },
      routing,
    })
    expect(await store.verifications.get({ provider: 'persona', id: 'inq_1' })).toMatchObject({ id: 'inq_1' })
    expect(await verifyAuditChain(store.audit.read())).toMatchObject({ valid: true, count: 1 })
  })

  it.each([
    ['a document type outside the model', { ...routing, documentTypes: ['library_card'] }],
    ['a provider name longer than 100 characters', { ...routing, chosen: 'p'.repeat(101) }],
    [
      'an error code longer than 64 characters',
      {
        ...routing,
        attempts: [{ provider: 'persona', result: 'unavailable', errorCode: 'e'.repeat(65) }],
      },
    ],
  ])(
    'leaves an entry with %s to the store’s parse, which refuses it and rolls the transaction back',
    async (_name, record) => {
      const store = createMemoryStore()
      await expect(
        storeRoutedVerification(store, {
          verification,
          fileUnder: { provider: 'persona', id: 'inq_1' },
          routing: record as RoutingRecord,
        }),
      ).rejects.toThrow(KycInvalidRequestError)
      expect(await auditOf(store)).toEqual([])
      expect(await store.verifications.get({ provider: 'persona', id: 'inq_1' })).toBeUndefined()
    },
  )

  it('leaves a verification id longer than 200 characters to the store’s parse', async () => {
    const store = createMemoryStore()
    const id = 'v'.repeat(201)
    await expect(
      storeRoutedVerification(store, {
        verification: { ...verification, id, reference: { verificationId: id } },
        fileUnder: { provider: 'persona', id },
        routing,
      }),
    ).rejects.toThrow(KycInvalidRequestError)
    expect(await auditOf(store)).toEqual([])
  })
})

describe('a routed create parses the adapter’s verification once, on entry to the store', () => {
  it.each([
    ['a status outside the model', { status: 'approved_by_vendor' }],
    ['checks that are not a list', { checks: 'all passed' }],
    ['a reference that is not a string record', { reference: { inquiryId: 42 } }],
  ])(
    'refuses %s: nothing stored, nothing audited, the failure logged without content',
    async (_name, change) => {
      const store = createMemoryStore()
      const logged: { message: string; fields: unknown }[] = []
      const malformed = { ...verification, ...change } as unknown as Verification
      const kyc = createKyc({
        adapters: {
          persona: createMockAdapter({
            provider: 'persona',
            results: { createVerification: { verification: malformed } },
          }),
          spare: createMockAdapter({ provider: 'spare' }),
        },
        store,
        env: {},
        logger: { error: (message, fields) => logged.push({ message, fields }) },
        routing: { split: { weights: { persona: 100, spare: 0 } } },
      })
      // The provider created it, so the caller still gets it (failing now would make it create a second).
      const { verification: returned } = await kyc.createVerification({ subjectReference: 'subject_1' })
      expect(returned.id).toBe('inq_1')
      expect(await store.verifications.get({ provider: 'persona', id: 'inq_1' })).toBeUndefined()
      expect(await auditOf(store)).toEqual([])
      expect(logged).toEqual([
        {
          message: 'openkyc routing: the routing decision could not be recorded',
          fields: { provider: 'persona', verificationId: 'inq_1', errorCode: 'invalid_request' },
        },
      ])
    },
  )
})

describe('serializeRoutingRecord: canonical JSON without sorting', () => {
  /** The definition the audit hash has always used: every key sorted, at every level. */
  function sortedJson(value: unknown): string {
    const sortKeys = (item: unknown): unknown => {
      if (Array.isArray(item)) return item.map(sortKeys)
      if (typeof item !== 'object' || item === null) return item
      const sorted: Record<string, unknown> = {}
      for (const key of Object.keys(item).sort()) {
        const inner = (item as Record<string, unknown>)[key]
        if (inner !== undefined) sorted[key] = sortKeys(inner)
      }
      return sorted
    }
    return JSON.stringify(sortKeys(value))
  }
  const name = fc.stringMatching(/^[a-z"\\é\u2028 ]{1,12}$/)
  const recordArbitrary: fc.Arbitrary<RoutingRecord> = fc.record(
    {
      role: fc.constantFrom('primary', 'shadow'),
      basis: fc.constantFrom('rule', 'split', 'default', 'shadow'),
      rule: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,16}$/),
      chosen: name,
      attempts: fc.array(
        fc.record(
          {
            provider: name,
            result: fc.constantFrom(
              'created',
              'unavailable',
              'timeout',
              'rate_limited',
              'unsupported',
              'failed',
            ),
            errorCode: fc.constantFrom('provider_unavailable', 'rate_limited'),
          },
          { requiredKeys: ['provider', 'result'] },
        ),
        { maxLength: 4 },
      ),
      skipped: fc.array(
        fc.record({ provider: name, reason: fc.constantFrom('not_reached', 'country_not_covered') }),
        { maxLength: 4 },
      ),
      country: fc.constantFrom('DE', 'BR'),
      documentTypes: fc.subarray(['passport', 'id_card', 'driving_license'] as const),
      segment: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,16}$/),
      primary: fc.record({ provider: name, verificationId: name }),
      stage: fc.constant('planned' as const),
    },
    { requiredKeys: ['role', 'basis', 'attempts', 'skipped'] },
  )

  it('writes every key RoutingRecordSchema knows, at every level (a field added to the schema must be added here, or it would go unhashed)', () => {
    const full: RoutingRecord = {
      role: 'shadow',
      basis: 'shadow',
      rule: 'eu',
      chosen: 'onfido',
      attempts: [{ provider: 'onfido', result: 'failed', errorCode: 'provider_unavailable' }],
      skipped: [{ provider: 'jumio', reason: 'not_reached' }],
      country: 'DE',
      documentTypes: ['passport'],
      segment: 'retail',
      primary: { provider: 'jumio', verificationId: 'v_1' },
      stage: 'planned',
    }
    const written = JSON.parse(serializeRoutingRecord(full))
    const { shape } = RoutingRecordSchema
    const keysOf = (value: object) => Object.keys(value).sort()
    expect(keysOf(written)).toEqual(keysOf(shape))
    expect(keysOf(written.attempts[0])).toEqual(keysOf(shape.attempts.element.shape))
    expect(keysOf(written.skipped[0])).toEqual(keysOf(shape.skipped.element.shape))
    expect(keysOf(written.primary)).toEqual(keysOf(shape.primary.unwrap().shape))
  })

  it('writes exactly the sorted-key JSON of every record, whatever the order of its keys (property)', () => {
    fc.assert(
      fc.property(recordArbitrary, fc.boolean(), (record, reverse) => {
        const keys = Object.keys(record)
        const reordered = Object.fromEntries(
          (reverse ? keys.reverse() : keys).map((key) => [key, record[key as keyof RoutingRecord]]),
        ) as RoutingRecord
        expect(serializeRoutingRecord(reordered)).toBe(sortedJson(record))
      }),
      { numRuns: 300 },
    )
  })
})
