import * as core from '@openkyc/core'
import { isSchemaBuilt } from '@openkyc/core/test'
import { describe, expect, it } from 'vitest'
import * as persona from '../src/index.js'
import * as personaSchemas from '../src/persona-schemas.js'

/** Exported objects named like schemas (`…Schema`, `…Shape`), by name (functions and constants aside). */
function schemasOf(module: Record<string, unknown>): [string, object][] {
  return Object.entries(module).filter(
    (entry): entry is [string, object] =>
      typeof entry[1] === 'object' && (entry[0].endsWith('Schema') || entry[0].endsWith('Shape')),
  )
}

// Runs first, in a file of its own: only the imports above have run.
describe('importing the Persona adapter (cold start)', () => {
  it("builds none of Persona's response schemas nor any of core's schemas", () => {
    expect(typeof persona.createPersona).toBe('function')
    const schemas = [...schemasOf(personaSchemas), ...schemasOf(core)]
    expect(schemasOf(personaSchemas).length).toBeGreaterThanOrEqual(10)
    expect(schemas.filter(([, schema]) => isSchemaBuilt(schema)).map(([name]) => name)).toEqual([])
  })

  it('still declares every document type of the model as covered, and reads documents once built', () => {
    expect(persona.personaCoverage.documentTypes).toEqual(core.DocumentTypeSchema.options)
    const parsed = personaSchemas.PersonaInquiryDocumentSchema.safeParse({
      data: { type: 'inquiry', id: 'inq_1', attributes: { status: 'approved' } },
    })
    expect(parsed.success).toBe(true)
    expect(
      personaSchemas.PersonaInquiryDocumentSchema.safeParse({ data: { type: 'case', id: 'x' } }).success,
    ).toBe(false)
  })
})
