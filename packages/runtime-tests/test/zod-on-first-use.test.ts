import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { bundleForWeb } from '../src/web-bundle.js'

const run = promisify(execFile)
const packageDirectory = fileURLToPath(new URL('..', import.meta.url))
const application = fileURLToPath(new URL('./fixtures/first-validation.ts', import.meta.url))

/** Settings that pass each adapter's validation (no request is ever sent). */
const adapters = {
  jumio: `createJumio({ clientId: 'id', clientSecret: 'secret', region: 'amer-1', workflowKey: 32, userAgent: 'Test/1.0', env: {} })`,
  onfido: `createOnfido({ apiToken: 'api_sandbox.x', workflowId: '5f6c1e2a-9b1d-4c3e-8f7a-1b2c3d4e5f60', env: {} })`,
  persona: `createPersona({ apiKey: 'persona_sandbox_x', templateId: 'itmpl_X', env: {} })`,
} as const

// Issue 18 (cold start): zod costs more to load than the library itself, so on Node it loads on
// the first validation, not at import. zod sets `globalThis.__zod_globalConfig` while it loads.
describe('zod loads on first use', () => {
  for (const [name, create] of Object.entries(adapters)) {
    it(`importing @openkyc/core + @openkyc/${name} in a fresh Node process loads no zod; the first validation loads it and works`, async () => {
      const factory = `create${name[0]!.toUpperCase()}${name.slice(1)}`
      const code = `
        const { isKycError } = await import('@openkyc/core')
        const { ${factory} } = await import('@openkyc/${name}')
        const zodLoaded = () => globalThis.__zod_globalConfig !== undefined
        const atImport = zodLoaded()
        const adapter = ${create}
        const refused = await adapter.createVerification({ subjectReference: '' }).then(() => 'created', (error) => isKycError(error) ? error.code : 'other error')
        let badSetting = 'accepted'
        try { ${create.replace(/\{ /, '{ timeoutMs: -1, ')} } catch (error) { badSetting = isKycError(error) ? error.code : 'other error' }
        const { z } = await import('zod')
        const { z: ours } = await import('@openkyc/core/zod')
        process.stdout.write(JSON.stringify({ atImport, refused, badSetting, afterValidation: zodLoaded(), sameZod: ours.object === z.object }))
      `
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], {
        cwd: packageDirectory,
      })
      expect(JSON.parse(stdout)).toEqual({
        atImport: false,
        refused: 'invalid_request',
        badSetting: 'configuration',
        afterValidation: true,
        sameZod: true,
      })
    }, 30_000)
  }

  it('an application bundled by esbuild for Node (default conditions) contains zod: it validates from a folder with no node_modules', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'openkyc-bundled-app-'))
    try {
      await bundleForWeb({ entry: application, platform: 'node', outfile: join(directory, 'app.mjs') })
      expect(await readdir(directory)).toEqual(['app.mjs'])
      const { stdout } = await run(process.execPath, ['app.mjs'], { cwd: directory })
      expect(JSON.parse(stdout)).toEqual({
        // Bundled, zod is part of the application's one file, and loads with it.
        zodLoadedAtImport: true,
        zodLoaded: true,
        refusals: { jumio: 'invalid_request', onfido: 'invalid_request', persona: 'invalid_request' },
      })
    } finally {
      await rm(directory, { recursive: true, force: true })
    }
  }, 60_000)
})
