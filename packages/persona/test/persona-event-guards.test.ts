import { describe, expect, it } from 'vitest'
import type { z } from 'zod'
import {
  isPersonaEventDocument,
  isPersonaEventInquiry,
  isPersonaVerificationEvidence,
  PersonaEventDocumentShape,
  PersonaEventInquiryShape,
  PersonaVerificationEvidenceShape,
} from '../src/persona-schemas.js'
import { fixture } from './fixtures.js'

/*
 * The webhook path checks what it reads with type guards in place (no copies); the zod shapes next
 * to them say the same thing as a schema. Each guard must accept exactly what its shape accepts:
 * every member the shape checks is set, one at a time, to values of every kind, and the guard's
 * answer must equal the shape's. A check dropped from a guard (or loosened) makes a hostile value
 * pass the guard while the shape refuses it, and the test fails; so does a check the shape does not
 * make. Each case must also be refused at least once, so no path below tests nothing.
 */

type Json = Record<string, unknown>

/** Values of every kind a hostile body could put in a member. */
const hostileValues: unknown[] = [
  undefined,
  null,
  '',
  'text',
  0,
  42,
  true,
  [],
  ['text'],
  [null],
  [42],
  [{}],
  [{ type: 'x', id: 'y' }],
  [{ type: 1, id: 'y' }],
  {},
  { type: 'x', id: 'y' },
  { type: 'x' },
  { data: null },
  { data: [] },
  { data: [{ type: 'x', id: 'y' }] },
  { data: [{ type: 'x' }] },
  { data: 'text' },
  { data: { type: 'x', id: 'y' } },
  { page: 'front' },
  { page: 7 },
]

function withValue(base: Json, path: readonly (string | number)[], value: unknown): Json {
  const copy = structuredClone(base)
  let target = copy as Record<string | number, unknown>
  for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>
  const last = path.at(-1) as string | number
  // An absent member is deleted; an array element is set (JSON has no holes in arrays).
  if (value === undefined && typeof last === 'string') delete target[last]
  else target[last] = value
  return copy
}

function expectGuardMatchesShape(
  guard: (value: unknown) => boolean,
  shape: z.ZodType,
  base: Json,
  paths: readonly (readonly (string | number)[])[],
) {
  expect(guard(base)).toBe(true)
  expect(shape.safeParse(base).success).toBe(true)
  for (const path of paths) {
    let refused = 0
    for (const value of hostileValues) {
      const candidate = withValue(base, path, value)
      const expected = shape.safeParse(candidate).success
      if (!expected) refused += 1
      expect({ path, value, accepted: guard(candidate) }).toEqual({ path, value, accepted: expected })
    }
    expect({ path, refused: refused > 0 }).toEqual({ path, refused: true })
  }
  for (const value of hostileValues) {
    expect({ whole: value, accepted: guard(value) }).toEqual({
      whole: value,
      accepted: shape.safeParse(value).success,
    })
  }
}

const eventBody = () => fixture('event-inquiry-approved.json') as Json
const inquiryOf = (body: Json) => ((body.data as Json).attributes as { payload: { data: Json } }).payload.data
const governmentIdOf = (body: Json) => {
  const included = ((body.data as Json).attributes as { payload: { included: Json[] } }).payload.included
  const governmentId = included.find((resource) => resource.type === 'verification/government-id')
  if (governmentId === undefined) throw new Error('the fixture has no government-id verification')
  return governmentId
}

describe('webhook type guards match their zod shapes', () => {
  it('isPersonaEventDocument refuses exactly what PersonaEventDocumentShape refuses', () => {
    expectGuardMatchesShape(isPersonaEventDocument, PersonaEventDocumentShape, eventBody(), [
      ['data'],
      ['data', 'type'],
      ['data', 'id'],
      ['data', 'attributes'],
      ['data', 'attributes', 'name'],
      ['data', 'attributes', 'created-at'],
      ['data', 'attributes', 'payload'],
      ['data', 'attributes', 'payload', 'data'],
      ['data', 'attributes', 'payload', 'included'],
      ['data', 'attributes', 'payload', 'included', 0],
      ['data', 'attributes', 'payload', 'included', 0, 'id'],
    ])
  })

  it('isPersonaEventInquiry refuses exactly what PersonaEventInquiryShape refuses', () => {
    const inquiry = inquiryOf(eventBody())
    const attributes = Object.keys(PersonaEventInquiryShape.shape.attributes.shape)
    expect(attributes).toContain('status')
    expectGuardMatchesShape(isPersonaEventInquiry, PersonaEventInquiryShape, inquiry, [
      ['type'],
      ['id'],
      ['attributes'],
      ...attributes.map((key) => ['attributes', key]),
      ['attributes', 'tags', 0],
      ['relationships'],
      ['relationships', 'account'],
      ['relationships', 'account', 'data'],
      ['relationships', 'reviewer'],
      ['relationships', 'reviewer', 'data'],
      ['relationships', 'verifications'],
      ['relationships', 'verifications', 'data'],
      ['relationships', 'verifications', 'data', 0],
      ['relationships', 'reports'],
      ['relationships', 'reports', 'data'],
    ])
  })

  it('isPersonaVerificationEvidence refuses exactly what PersonaVerificationEvidenceShape refuses', () => {
    const governmentId = governmentIdOf(eventBody())
    const withPhotos = withValue(governmentId, ['attributes', 'photo-urls'], [{ page: 'front' }])
    const withTags = withValue(withPhotos, ['attributes', 'checks', 0, 'reasons'], ['expired', null])
    const attributes = Object.keys(PersonaVerificationEvidenceShape.shape.attributes.unwrap().unwrap().shape)
    expect(attributes).toContain('checks')
    expectGuardMatchesShape(isPersonaVerificationEvidence, PersonaVerificationEvidenceShape, withTags, [
      ['type'],
      ['id'],
      ['attributes'],
      ...attributes.map((key) => ['attributes', key]),
      ['attributes', 'checks', 0],
      ['attributes', 'checks', 0, 'name'],
      ['attributes', 'checks', 0, 'status'],
      ['attributes', 'checks', 0, 'requirement'],
      ['attributes', 'checks', 0, 'reasons'],
      ['attributes', 'checks', 0, 'reasons', 0],
      ['attributes', 'photo-urls', 0],
      ['attributes', 'photo-urls', 0, 'page'],
    ])
  })
})
