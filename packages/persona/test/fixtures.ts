import { readFileSync } from 'node:fs'
import { type PersonaInquiryDocument, PersonaInquiryDocumentSchema } from '../src/persona-schemas.js'

/** A recorded vendor-shaped payload from `src/__fixtures__`, parsed as JSON (a fresh copy each call). */
export function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../src/__fixtures__/${name}`, import.meta.url), 'utf8'))
}

/** An inquiry document fixture, read through the adapter's lenient schema. */
export function inquiryFixture(name: string): PersonaInquiryDocument {
  return PersonaInquiryDocumentSchema.parse(fixture(name))
}

/** Personal data seeded in the fixtures (Persona's sample applicant), searched for in outputs that must not hold it. */
export const fixturePersonalData = [
  'Jane',
  'JANE',
  'Doe',
  'DOE',
  '1990-01-01',
  '1995-09-08',
  'Y123ABC',
  '123 Main St',
  'jane@doe.com',
]
