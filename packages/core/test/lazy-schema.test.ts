import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import * as core from '../src/index.js'
import { createMockVerification, isSchemaBuilt } from '../src/test/index.js'

/** Every zod schema core exports (the model, store, routing and settings schemas), by export name. */
const exportedSchemas = Object.entries(core).filter(
  ([name, value]) => typeof value === 'object' && (name.endsWith('Schema') || name.startsWith('headerSafe')),
) as [string, z.ZodType][]

// This block runs first, in a file of its own: nothing has used a schema yet.
describe('importing core builds no schema', () => {
  it('leaves every exported schema unbuilt until its first use', () => {
    expect(exportedSchemas.length).toBeGreaterThanOrEqual(35)
    const built = exportedSchemas.filter(([, schema]) => isSchemaBuilt(schema)).map(([name]) => name)
    expect(built).toEqual([])
  })
})

describe('lazySchema', () => {
  it('builds on first use, once, and forwards to the built schema', () => {
    let builds = 0
    const InvoiceSchema = core.lazySchema(() => {
      builds += 1
      return z.object({ id: z.string(), total: z.number() })
    })
    expect(builds).toBe(0)
    expect(isSchemaBuilt(InvoiceSchema)).toBe(false)
    expect(InvoiceSchema.parse({ id: 'in_1', total: 12 })).toEqual({ id: 'in_1', total: 12 })
    expect(InvoiceSchema.safeParse({ id: 'in_1' }).success).toBe(false)
    expect(Object.keys(InvoiceSchema.shape)).toEqual(['id', 'total'])
    expect(builds).toBe(1)
    expect(isSchemaBuilt(InvoiceSchema)).toBe(true)
    expect(core.resolveSchema(InvoiceSchema)).toBe(core.resolveSchema(InvoiceSchema))
    expect(core.resolveSchema(InvoiceSchema)).not.toBe(InvoiceSchema)
    expect(builds).toBe(1)
  })

  it('gives a plain schema back from resolveSchema, and counts it as built', () => {
    const plain = z.string()
    expect(core.resolveSchema(plain)).toBe(plain)
    expect(isSchemaBuilt(plain)).toBe(true)
  })
})

describe("the public model schemas behave as plain zod schemas for a user's code", () => {
  it('VerificationSchema parses a verification and refuses bad input with a ZodError', () => {
    const verification = createMockVerification({ status: 'completed' })
    expect(core.VerificationSchema.parse(verification)).toEqual(verification)
    expect(() => core.VerificationSchema.parse({ ...verification, status: 'approved' })).toThrow(z.ZodError)
    expect(() => core.VerificationSchema.parse({ ...verification, createdAt: 'yesterday' })).toThrow(
      z.ZodError,
    )
    const refused = core.VerificationSchema.safeParse({ ...verification, checks: [{ kind: 'face_match' }] })
    expect(refused.success).toBe(false)
    expect(refused.error?.issues.map((issue) => issue.path.join('.'))).toContain('checks.0.outcome')
    // Defaults still apply through the stand-in.
    const { checks: _checks, credentials: _credentials, ...bare } = verification
    expect(core.VerificationSchema.parse(bare)).toMatchObject({ checks: [], credentials: [] })
  })

  it('keeps types, instanceof, shape, options, extend, omit and composition', () => {
    expectTypeOf(core.VerificationSchema).toHaveProperty('shape')
    expectTypeOf(core.VerificationSchema.parse).returns.toEqualTypeOf<core.Verification>()
    expect(core.VerificationSchema).toBeInstanceOf(z.ZodObject)
    expect(core.DocumentTypeSchema).toBeInstanceOf(z.ZodEnum)
    expect(core.DocumentTypeSchema.options).toContain('passport')
    expect(Object.keys(core.VerificationSchema.shape)).toContain('subjectReference')
    const extended = core.CheckSchema.extend({ note: z.string() })
    expect(extended.safeParse({ kind: 'liveness', outcome: 'passed', raw: { name: 'x' } }).success).toBe(
      false,
    )
    const omitted = core.VerificationSchema.omit({ identity: true })
    expect(Object.keys(omitted.shape)).not.toContain('identity')
    const ChecksSchema = z.array(core.CheckSchema)
    expect(ChecksSchema.parse([{ kind: 'liveness', outcome: 'passed', raw: { name: 'x' } }])).toEqual([
      { kind: 'liveness', outcome: 'passed', reasons: [], raw: { name: 'x' } },
    ])
    expect(
      ChecksSchema.safeParse([{ kind: 'palm_reading', outcome: 'passed', raw: { name: 'x' } }]).success,
    ).toBe(false)
    expect(z.toJSONSchema(core.DecisionOutcomeSchema)).toMatchObject({
      enum: ['approved', 'declined', 'review', 'resubmission_requested'],
    })
    expect('shape' in core.KycEventSchema).toBe(true)
    expect(Object.keys(core.ReasonSchema)).toEqual(Object.keys(core.resolveSchema(core.ReasonSchema)))
  })

  it('composes the built schemas inside the model, so parsing never steps through a stand-in', () => {
    const verification = core.resolveSchema(core.VerificationSchema)
    expect(verification.shape.status).toBe(core.resolveSchema(core.VerificationStatusSchema))
    expect(verification.shape.checks.unwrap().element).toBe(core.resolveSchema(core.CheckSchema))
    expect(core.resolveSchema(core.KycEventSchema).shape.type).toBe(
      core.resolveSchema(core.KycEventTypeSchema),
    )
  })
})
