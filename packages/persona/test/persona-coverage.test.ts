import { readFileSync } from 'node:fs'
import { DocumentTypeSchema } from '@openkyc/core'
import { codeSpans } from '@openkyc/testkit'
import { describe, expect, it } from 'vitest'
import { createPersona, personaCoverage } from '../src/index.js'
import { conformanceSettings } from './conformance-support.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const section = readme.slice(readme.search(/#+ Coverage\n/))
const documentTypesBullet = section.slice(
  section.indexOf('**document types:**'),
  section.indexOf('**countries:**'),
)

describe('persona coverage', () => {
  it('is declared on the adapter, and the README lists exactly the declared document types', () => {
    expect(createPersona(conformanceSettings).coverage).toBe(personaCoverage)
    const listed = DocumentTypeSchema.options.filter((type) => codeSpans(documentTypesBullet).includes(type))
    expect(listed.sort()).toEqual([...(personaCoverage.documentTypes ?? [])].sort())
    expect(personaCoverage.unsupportedCountries).toBeUndefined()
  })
})
