import { readFileSync } from 'node:fs'
import { DocumentTypeSchema } from '@openkyc/core'
import { codeSpans } from '@openkyc/testkit'
import { describe, expect, it } from 'vitest'
import { createOnfido, onfidoCoverage } from '../src/index.js'
import { testSettings } from './fixtures.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const section = readme.slice(readme.search(/#+ Coverage\n/))
const documentTypesBullet = section.slice(
  section.indexOf('**document types:**'),
  section.indexOf('**countries:**'),
)

describe('onfido coverage', () => {
  it('is declared on the adapter, and the README lists exactly the declared document types', () => {
    expect(createOnfido(testSettings).coverage).toBe(onfidoCoverage)
    const listed = DocumentTypeSchema.options.filter((type) => codeSpans(documentTypesBullet).includes(type))
    expect(listed.sort()).toEqual([...(onfidoCoverage.documentTypes ?? [])].sort())
    expect(onfidoCoverage.unsupportedCountries).toBeUndefined()
  })
})
