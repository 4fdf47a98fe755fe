import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type KycEvent, KycEventSchema, resolveSchema } from '../src/index.js'
import { compileParser, notParsed } from '../src/zod/compiled-parser.js'

/** A completed, declined verification event using every field the model has, and some it has not. */
function richEvent(): Record<string, unknown> {
  return {
    id: 'evt_1',
    provider: 'persona',
    type: 'verification.completed',
    occurredAt: '2025-06-01T08:10:00.000Z',
    observedTimes: ['occurredAt'],
    verification: {
      id: 'inq_1',
      provider: 'persona',
      reference: { inquiryId: 'inq_1', accountId: 'act_1' },
      subjectReference: 'user-42',
      status: 'completed',
      attempt: 2,
      decision: {
        outcome: 'declined',
        reasons: [{ code: 'face_mismatch', raw: 'selfie_comparison' }, { code: 'other' }],
        riskScore: 80,
        decidedBy: 'provider',
        decidedAt: '2025-06-01T08:10:00.000+02:00',
        attempt: 2,
        raw: { status: 'declined', extra: { nested: [1, 2] } },
      },
      checks: [
        {
          kind: 'face_match',
          outcome: 'failed',
          reasons: [{ code: 'face_mismatch', raw: 'selfie_comparison' }],
          source: 'reported',
          raw: { name: 'selfie_comparison', label: 'failed', verification: 'verification/selfie' },
        },
        { kind: 'liveness', outcome: 'passed', raw: { name: 'selfie_liveness' } },
      ],
      credentials: [
        {
          id: 'doc_1',
          kind: 'id_document',
          documentType: 'passport',
          issuingCountry: 'DE',
          parts: ['front'],
        },
        { kind: 'selfie' },
      ],
      // Personal data and secrets an event must not carry: both schemas drop them.
      identity: { firstName: 'Alexandra', lastName: 'Mustermann' },
      session: { url: 'https://withpersona.com/verify?token=secret' },
      createdAt: '2025-06-01T08:00:00.000Z',
      updatedAt: '2025-06-01T08:10:00.000Z',
      completedAt: '2025-06-01T08:10:00.000Z',
      observedTimes: ['createdAt'],
      raw: { status: 'declined', verifications: [{ type: 'verification/selfie', status: 'failed' }] },
      unknownField: 'dropped',
    },
    raw: { type: 'inquiry.declined', eventId: 'evt_1' },
    unknownField: 'dropped',
  }
}

function plainEvents(): Record<string, unknown>[] {
  return [
    richEvent(),
    {
      id: 'evt_2',
      provider: 'mock',
      type: 'verification.created',
      occurredAt: '2025-06-01T08:00:00Z',
      verification: {
        id: 'inq_2',
        provider: 'mock',
        reference: {},
        status: 'created',
        createdAt: '2025-06-01T08:00:00Z',
        updatedAt: '2025-06-01T08:00:00Z',
        raw: { status: 'created' },
      },
      raw: { type: 'created' },
    },
    {
      id: 'evt_3',
      provider: 'persona',
      type: 'case.updated',
      occurredAt: '2025-06-01T08:00:00Z',
      raw: { type: 'case.x' },
    },
  ]
}

/** Values that break one field or another: wrong types, bad formats, out of range, absent. */
const replacements: unknown[] = [
  undefined,
  null,
  0,
  1,
  1.5,
  -1,
  101,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  '',
  'x',
  'de',
  'DE',
  '2025-02-30T00:00:00Z',
  '2025-06-01 08:00:00',
  'completed',
  'face_mismatch',
  true,
  [],
  [1],
  {},
  { status: 1 },
  new Date('2025-06-01T08:00:00Z'),
]

const clone = <T>(value: T): T => structuredClone(value)

/** Every variant of `root` with one value replaced, one key removed or one key added, at any depth. */
function* variants(root: Record<string, unknown>): Generator<unknown> {
  function* at(path: (string | number)[]): Generator<unknown> {
    let node: unknown = root
    for (const step of path) node = (node as Record<string | number, unknown>)[step]
    if (typeof node !== 'object' || node === null) return
    const keys = Array.isArray(node) ? node.map((_, index) => index) : Object.keys(node)
    for (const key of keys) {
      for (const replacement of replacements) {
        const copy = clone(root)
        let parent: Record<string | number, unknown> = copy
        for (const step of path) parent = parent[step] as Record<string | number, unknown>
        parent[key] = replacement
        yield copy
      }
      const removed = clone(root)
      let parent: Record<string | number, unknown> = removed
      for (const step of path) parent = parent[step] as Record<string | number, unknown>
      if (Array.isArray(parent)) parent.splice(key as number, 1)
      else delete parent[key]
      yield removed
      yield* at([...path, key])
    }
    const added = clone(root)
    let parent: Record<string | number, unknown> = added
    for (const step of path) parent = parent[step] as Record<string | number, unknown>
    if (Array.isArray(parent)) parent.push('extra')
    else parent.addedKey = { any: 'value' }
    yield added
  }
  yield* at([])
}

/** The compiled parser agrees with zod: whenever it answers, zod accepts and gives the same value, key order included. */
function expectAgreement(schema: z.ZodType, parse: (input: unknown) => unknown, input: unknown) {
  const fast = parse(input)
  if (fast === notParsed) return 'zod'
  const parsed = schema.safeParse(input)
  expect(parsed.success).toBe(true)
  expect(fast).toStrictEqual(parsed.data)
  expect(JSON.stringify(fast)).toBe(JSON.stringify(parsed.data))
  return 'compiled'
}

describe.each([
  { form: 'generated code', generatedCode: true },
  { form: 'the interpreted form', generatedCode: false },
])('compileParser, $form', ({ generatedCode }) => {
  const compile = (schema: unknown) => compileParser(schema, { generatedCode })
  const parseEvent = compile(resolveSchema(KycEventSchema))!

  it('compiles KycEventSchema and gives zod’s exact result for valid events, personal data dropped', () => {
    expect(parseEvent).toBeDefined()
    for (const event of plainEvents()) {
      expect(expectAgreement(KycEventSchema, parseEvent, event)).toBe('compiled')
    }
    const parsed = parseEvent(richEvent()) as KycEvent & { verification: Record<string, unknown> }
    expect(parsed.verification).not.toHaveProperty('identity')
    expect(parsed.verification).not.toHaveProperty('session')
    expect(JSON.stringify(parsed)).not.toContain('Mustermann')
    // Unknown catchall values are kept by reference, as zod keeps them.
    const input = richEvent()
    const raw = (input.verification as { raw: { verifications: unknown } }).raw
    expect((parseEvent(input) as KycEvent).verification!.raw.verifications).toBe(raw.verifications)
  })

  it('never accepts what zod refuses, nor answers differently, over thousands of broken events', () => {
    const answered = { compiled: 0, zod: 0 }
    for (const event of plainEvents()) {
      for (const variant of variants(event)) {
        answered[expectAgreement(KycEventSchema, parseEvent, variant)] += 1
        const parsed = KycEventSchema.safeParse(variant)
        // Every event zod refuses is left to zod.
        if (!parsed.success) expect(parseEvent(variant)).toBe(notParsed)
      }
    }
    expect(answered.compiled).toBeGreaterThan(100)
    expect(answered.zod).toBeGreaterThan(1_000)
  })

  it('leaves objects that are not plain, and __proto__ keys, to zod', () => {
    const withProto = JSON.parse(
      '{"id":"e","provider":"p","type":"case.updated","occurredAt":"2025-06-01T08:00:00Z","raw":{"type":"t","__proto__":{"polluted":true}}}',
    )
    expectAgreement(KycEventSchema, parseEvent, withProto)
    expect((parseEvent(withProto) as { raw: object }).raw).not.toHaveProperty('polluted')
    class Shaped {
      id = 'e'
      provider = 'p'
      type = 'case.updated'
      occurredAt = '2025-06-01T08:00:00Z'
      raw = { type: 't' }
    }
    expect(parseEvent(new Shaped())).toBe(notParsed)
    expect(KycEventSchema.safeParse(new Shaped()).success).toBe(true)
    const reference = JSON.parse('{"__proto__":"x","inquiryId":"inq_1"}')
    const event = richEvent()
    ;(event.verification as Record<string, unknown>).reference = reference
    expectAgreement(KycEventSchema, parseEvent, event)
  })

  it('compiles to undefined for a kind or check it does not know, so the caller keeps to zod', () => {
    expect(compile(z.string().email())).toBeUndefined()
    expect(compile(z.string().max(3))).toBeUndefined()
    expect(compile(z.object({ a: z.string() }).refine(() => true))).toBeUndefined()
    expect(compile(z.union([z.string(), z.number()]))).toBeUndefined()
    expect(compile(z.array(z.string()).min(1))).toBeUndefined()
    expect(compile(z.object({ a: z.string().default('x') }))).toBeUndefined()
    expect(compile(z.object({ a: z.string() }).catchall(z.string()))).toBeUndefined()
    expect(compile(z.string().transform((value) => value.length))).toBeUndefined()
    expect(compile(z.coerce.number())).toBeUndefined()
  })

  it('agrees with zod on the kinds it knows, one by one', () => {
    const cases: [z.ZodType, unknown[]][] = [
      [z.string().min(2), ['ab', 'a', 1, undefined]],
      [z.number().int().min(1).max(3), [1, 3, 0, 4, 1.5, '1', Number.NaN]],
      [z.number().gt(0).lt(1), [0, 1, 0.5]],
      [z.enum(['a', 'b']), ['a', 'c', undefined]],
      [z.literal('x'), ['x', 'y']],
      [z.array(z.enum(['a'])).default([]), [undefined, ['a'], ['b'], 'a']],
      [z.record(z.string(), z.string()), [{ a: 'b' }, { a: 1 }, [], null, Object.create(null)]],
      [
        z.object({ a: z.string().optional(), b: z.unknown() }),
        [{ b: 1 }, { a: undefined, b: 1 }, { a: 'x' }, {}],
      ],
      [z.string().refine((value) => value.startsWith('k')), ['key', 'lock']],
    ]
    for (const [schema, inputs] of cases) {
      const parse = compile(schema)
      expect(parse).toBeDefined()
      for (const input of inputs) expectAgreement(schema, parse!, input)
    }
  })
})
