import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { codeSpans, markdownTableAfter } from '@openkyc/testkit'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import {
  mapPersonaCheckName,
  mapPersonaCheckReasons,
  mapPersonaCheckStatus,
} from '../src/map-persona-check.js'
import { mapPersonaIdClass } from '../src/map-persona-identity.js'
import { mapPersonaInquiryStatus } from '../src/map-persona-inquiry-status.js'
import {
  mapPersonaVerificationType,
  personaVerificationHasEvidence,
} from '../src/map-persona-verification.js'
import { personaListKinds } from '../src/persona-list-kinds.js'

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..')
const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8')

/** The body rows of the first table under a heading (the whole heading line), as cells. */
const tableUnder = (heading: string) => markdownTableAfter(readme, `\n${heading}\n`)

describe('README mapping tables match the mappers, row by row', () => {
  it('inquiry statuses', () => {
    const rows = tableUnder('### Inquiry status → status and decision')
    expect(rows.length).toBeGreaterThanOrEqual(9)
    for (const [status, ours, outcome] of rows) {
      if (status === 'anything else') {
        expect(mapPersonaInquiryStatus('brand_new_status')).toEqual({ status: codeSpans(ours)[0] })
        continue
      }
      const [persona] = codeSpans(status)
      if (ours?.startsWith('by policy')) {
        const statuses = codeSpans(ours)
        const outcomes = codeSpans(outcome)
        expect(mapPersonaInquiryStatus(persona!, { completedMeans: 'pending' })).toEqual({
          status: statuses[0],
        })
        expect(mapPersonaInquiryStatus(persona!, { completedMeans: 'review' })).toEqual({
          status: statuses[1],
          outcome: outcomes[0],
        })
        expect(mapPersonaInquiryStatus(persona!, { completedMeans: 'approved' })).toEqual({
          status: statuses[2],
          outcome: outcomes[1],
        })
        continue
      }
      const mapped = mapPersonaInquiryStatus(persona!)
      expect(mapped.status, persona).toBe(codeSpans(ours)[0])
      expect(mapped.outcome, persona).toBe(codeSpans(outcome)[0])
    }
  })

  it('check names', () => {
    const rows = tableUnder('### Check names → check kind, reason code')
    expect(rows.length).toBeGreaterThan(50)
    for (const [name, kind, code] of rows) {
      const checkName = name === 'anything else' ? 'id_not_in_any_table' : codeSpans(name)[0]!
      expect(mapPersonaCheckName(checkName), checkName).toEqual({
        kind: codeSpans(kind)[0],
        failureCode: codeSpans(code)[0],
      })
    }
  })

  it('check reasons', () => {
    for (const [reason, code] of tableUnder('### Check reasons → reason code')) {
      const vendorReason = codeSpans(reason)[0]!
      expect(
        mapPersonaCheckReasons({ name: 'selfie_glare_detection', status: 'failed', reasons: [vendorReason] }),
      ).toEqual([{ code: codeSpans(code)[0], raw: vendorReason }])
    }
  })

  it('check statuses', () => {
    for (const [status, outcome] of tableUnder('### Check status → check outcome')) {
      expect(mapPersonaCheckStatus(status === 'anything else' ? 'mystery' : codeSpans(status)[0])).toBe(
        codeSpans(outcome)[0],
      )
    }
  })

  it('verification types and id classes', () => {
    for (const [types, kind, documentType] of tableUnder('### Verifications → credentials')) {
      for (const type of codeSpans(types)) {
        const probe = type.endsWith('*') ? `${type.slice(0, -1)}-tin` : type
        const expected = codeSpans(documentType)[0]
        expect(mapPersonaVerificationType(probe), type).toEqual({
          kind: codeSpans(kind)[0],
          ...(expected && expected !== 'id-class' ? { documentType: expected } : {}),
        })
      }
    }
    const idClassRows = readme.slice(readme.indexOf('| Persona `id-class` | document type |'))
    const rows = tableUnder('### Verifications → credentials')
    expect(rows.length).toBe(8)
    for (const line of idClassRows.split('\n').slice(2)) {
      if (!line.startsWith('|')) break
      const [classes, documentType] = line.slice(1, -1).split(' | ')
      const expected = codeSpans(documentType)[0]
      for (const idClass of classes === 'anything else' ? ['zz'] : codeSpans(classes)) {
        expect(mapPersonaIdClass(idClass), idClass).toBe(expected)
      }
    }
    for (const status of ['submitted', 'passed', 'failed', 'requires_retry']) {
      expect(personaVerificationHasEvidence(status)).toBe(true)
    }
    for (const status of ['initiated', 'confirmed', 'canceled', 'skipped']) {
      expect(personaVerificationHasEvidence(status)).toBe(false)
    }
  })

  it('list kinds', () => {
    const rows = tableUnder('## Cases, lists, accounts and links')
    expect(rows).toHaveLength(10)
    for (const [kind, type, create, columns] of rows) {
      const spec = personaListKinds[codeSpans(kind)[0] as keyof typeof personaListKinds]
      if (codeSpans(type).length === 0) {
        expect(spec).toBeUndefined()
        continue
      }
      expect(spec?.type).toBe(codeSpans(type)[0])
      expect(spec?.creatable).toBe(create === 'yes')
      expect(spec?.importColumns ?? []).toEqual(codeSpans(columns))
    }
  })
})

describe('README examples', () => {
  const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!)

  it('typecheck against the package source', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4)
    const virtualRoot = join(packageRoot, '.readme-examples')
    const files = new Map<string, string>()
    examples.forEach((source, index) => {
      files.set(join(virtualRoot, `example-${index}.ts`), `${source}\nexport {}\n`)
    })
    const config = ts.readConfigFile(join(packageRoot, 'tsconfig.json'), ts.sys.readFile)
    const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, packageRoot)
    options.noEmit = true
    options.baseUrl = packageRoot
    options.paths = { '@openkyc/persona': ['src/index.ts'] }
    const host = ts.createCompilerHost(options)
    const { getSourceFile, fileExists, readFile } = host
    host.fileExists = (name) => files.has(name) || fileExists.call(host, name)
    host.readFile = (name) => files.get(name) ?? readFile.call(host, name)
    host.getSourceFile = (name, language, ...rest) => {
      const source = files.get(name)
      return source === undefined
        ? getSourceFile.call(host, name, language, ...rest)
        : ts.createSourceFile(name, source, language, true)
    }
    const program = ts.createProgram([...files.keys()], options, host)
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((diagnostic) => diagnostic.file === undefined || files.has(diagnostic.file.fileName))
      .map((diagnostic) => {
        const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
        if (diagnostic.file === undefined || diagnostic.start === undefined) return message
        const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
        return `${diagnostic.file.fileName.slice(virtualRoot.length + 1)}:${line + 1} ${message}`
      })
    expect(problems).toEqual([])
  }, 180_000)
})
