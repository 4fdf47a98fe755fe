import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..')
const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8')
const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!)

/**
 * Stand-ins for the packages the examples import that core does not depend on: only their shape
 * matters here, the examples' use of @openkyc/core is what is checked against the real source.
 */
const stubs: Record<string, string> = {
  'jumio.ts': `import type { KycAdapter } from '@openkyc/core'\nexport declare function createJumio(settings?: Record<string, unknown>): KycAdapter\n`,
  'persona.ts': `import type { KycAdapter } from '@openkyc/core'\nexport declare function createPersona(settings?: Record<string, unknown>): KycAdapter\n`,
  'onfido.ts': `import type { KycAdapter } from '@openkyc/core'\nexport declare function createOnfido(settings?: Record<string, unknown>): KycAdapter\n`,
  'express.ts': [
    `import type { IncomingMessage } from 'node:http'`,
    `type Reply = { status(code: number): Reply; type(type: string): Reply; send(body: string): Reply }`,
    `type App = {`,
    `  post(path: string, handler: (req: IncomingMessage, res: Reply) => unknown): void`,
    `  use(middleware: unknown): void`,
    `  listen(port: number): void`,
    `}`,
    `declare function express(): App`,
    `declare namespace express { function json(): unknown }`,
    `export default express`,
  ].join('\n'),
}

const virtualRoot = join(packageRoot, '.readme-examples')

function typecheck(): string[] {
  const files = new Map<string, string>()
  examples.forEach((source, index) => {
    files.set(join(virtualRoot, `example-${index}.ts`), `${source}\nexport {}\n`)
  })
  for (const [name, source] of Object.entries(stubs)) files.set(join(virtualRoot, 'stubs', name), source)

  const config = ts.readConfigFile(join(packageRoot, 'tsconfig.json'), ts.sys.readFile)
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, packageRoot)
  options.noEmit = true
  options.baseUrl = packageRoot
  options.paths = {
    '@openkyc/core': ['src/index.ts'],
    '@openkyc/core/http': ['src/http/index.ts'],
    '@openkyc/core/node': ['src/node/index.ts'],
    '#crypto': ['src/crypto/node-crypto.ts'],
    '#zod': ['src/zod/web-zod.ts'],
    '@openkyc/core/zod': ['src/zod/web-zod.ts'],
    '@openkyc/core/test': ['src/test/index.ts'],
    '@openkyc/jumio': ['.readme-examples/stubs/jumio.ts'],
    '@openkyc/persona': ['.readme-examples/stubs/persona.ts'],
    '@openkyc/onfido': ['.readme-examples/stubs/onfido.ts'],
    express: ['.readme-examples/stubs/express.ts'],
  }

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
  return ts
    .getPreEmitDiagnostics(program)
    .filter((diagnostic) => diagnostic.file === undefined || files.has(diagnostic.file.fileName))
    .map((diagnostic) => {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
      if (diagnostic.file === undefined || diagnostic.start === undefined) return message
      const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
      return `${diagnostic.file.fileName.slice(virtualRoot.length + 1)}:${line + 1} ${message}`
    })
}

describe('README', () => {
  it('has TypeScript examples for the quick start, webhooks, the mock adapter and the HTTP policy', () => {
    const all = examples.join('\n')
    for (const name of [
      'createKyc',
      'readNodeRequest',
      'toWebhookResponse',
      'createMockAdapter',
      'createHttpClient',
    ]) {
      expect(all).toContain(name)
    }
  })

  it('every TypeScript example compiles against the real API', { timeout: 120_000 }, () => {
    expect(typecheck()).toEqual([])
  })
})
