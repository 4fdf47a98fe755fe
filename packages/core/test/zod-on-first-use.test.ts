import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const packageDirectory = fileURLToPath(new URL('..', import.meta.url))

/**
 * Runs an ES module script in a fresh Node process from core's folder (so `@openkyc/core` and `zod`
 * resolve as an application resolves them) and returns what it printed as JSON. zod sets
 * `globalThis.__zod_globalConfig` while it loads: undefined means zod was not loaded.
 */
async function freshProcess(code: string, nodeOptions: string[] = []): Promise<Record<string, unknown>> {
  const { stdout, stderr } = await run(
    process.execPath,
    [...nodeOptions, '--input-type=module', '-e', code],
    {
      cwd: packageDirectory,
    },
  )
  return { ...(JSON.parse(stdout) as Record<string, unknown>), stderr }
}

const firstValidation = `
  const core = await import('@openkyc/core')
  await import('@openkyc/core/http')
  const afterImport = globalThis.__zod_globalConfig !== undefined
  const accepted = core.VerificationStatusSchema.safeParse('completed').success
  const refused = core.VerificationStatusSchema.safeParse('approved')
  const afterValidation = globalThis.__zod_globalConfig !== undefined
  const { z } = await import('zod')
  const { z: ours } = await import('@openkyc/core/zod')
  process.stdout.write(JSON.stringify({
    afterImport,
    accepted,
    refusedWith: refused.success ? 'nothing' : refused.error.constructor.name,
    refusedIsApplicationZodError: refused.error instanceof z.ZodError,
    standInIsApplicationZodType: core.VerificationStatusSchema instanceof z.ZodType,
    afterValidation,
    sameZod: ours.object === z.object && ours.globalRegistry === z.globalRegistry,
  }))
`

describe('zod loads on first use (cold start)', () => {
  it("importing @openkyc/core loads no zod; the first validation loads it and works with the application's zod", async () => {
    const result = await freshProcess(firstValidation)
    expect(result).toMatchObject({
      afterImport: false,
      accepted: true,
      refusedWith: 'ZodError',
      refusedIsApplicationZodError: true,
      standInIsApplicationZodType: true,
      afterValidation: true,
    })
    // Node ≥ 20.19 and ≥ 22.12 require zod's ES module entry: the very instance `import 'zod'` gives.
    expect(result.sameZod).toBe(true)
    // …without Node's experimental warning.
    expect(result.stderr).toBe('')
  }, 30_000)

  it("without require(esm) (--no-experimental-require-module) zod's CommonJS build loads, and validation is the same", async () => {
    const result = await freshProcess(firstValidation, ['--no-experimental-require-module'])
    expect(result).toMatchObject({
      afterImport: false,
      accepted: true,
      refusedWith: 'ZodError',
      // zod 4 recognises its errors and schemas across copies (instanceof goes by traits).
      refusedIsApplicationZodError: true,
      standInIsApplicationZodType: true,
      afterValidation: true,
      // A second copy: the CommonJS build beside the application's ES module.
      sameZod: false,
    })
  }, 30_000)
})
