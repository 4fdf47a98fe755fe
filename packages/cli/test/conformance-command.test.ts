import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { runBin } from './support/run-bin.js'

vi.setConfig({ testTimeout: 120_000 })

const reportSchema = z.strictObject({
  provider: z.string(),
  target: z.enum(['sandbox', 'simulator']),
  ok: z.boolean(),
  checks: z.array(
    z.strictObject({
      check: z.enum(['capabilities', 'read-unknown', 'webhook-forged', 'no-secrets']),
      provider: z.string(),
      status: z.enum(['ok', 'problem']),
      message: z.string().min(1),
    }),
  ),
})

describe('openkyc conformance', () => {
  it('without credentials, runs the read-only checks against the simulator: JSON and text', async () => {
    const json = await runBin(['conformance', '--provider', 'persona', '--json'])
    expect(json).toMatchObject({ code: 0, stderr: '' })
    const report = reportSchema.parse(JSON.parse(json.stdout))
    expect(report).toMatchObject({ provider: 'persona', target: 'simulator', ok: true })
    expect(report.checks.map((check) => check.check)).toEqual([
      'capabilities',
      'read-unknown',
      'webhook-forged',
      'no-secrets',
    ])
    const human = await runBin(['conformance', '--provider', 'onfido'])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(
      /^against the onfido simulator:\n(ok {7}onfido [a-z-]+: .+\n){4}Conforms\.\n$/,
    )
  })

  it('with credentials, checks the sandbox they name, and reports a refused credential as not conforming', async () => {
    // A stand-in for the real sandbox: a loopback simulator that accepts one key only.
    const sandbox = createPersonaSimulator({ apiKeys: ['persona_sandbox_accepted_key'] })
    const { url, close } = await sandbox.listen()
    try {
      const env = {
        PERSONA_TEMPLATE_ID: 'itmpl_sandbox',
        PERSONA_WEBHOOK_SECRETS: 'wbhsec_sandbox_secret',
        PERSONA_BASE_URL: `${url}/api/v1`,
      }
      const accepted = await runBin(['conformance', '--provider', 'persona', '--json'], {
        ...env,
        PERSONA_API_KEY: 'persona_sandbox_accepted_key',
      })
      expect(accepted.code).toBe(0)
      expect(reportSchema.parse(JSON.parse(accepted.stdout))).toMatchObject({ target: 'sandbox', ok: true })
      const refused = await runBin(['conformance', '--provider', 'persona', '--json'], {
        ...env,
        PERSONA_API_KEY: 'persona_sandbox_refused_key',
      })
      expect(refused.code).toBe(1)
      const report = reportSchema.parse(JSON.parse(refused.stdout))
      expect(report.checks.find((check) => check.check === 'read-unknown')).toMatchObject({
        status: 'problem',
      })
      expect(refused.stdout).not.toContain('persona_sandbox_refused_key')
      // Never against a real vendor in CI.
      const inCi = await runBin(['conformance', '--provider', 'persona'], {
        ...env,
        PERSONA_API_KEY: 'persona_sandbox_accepted_key',
        CI: 'true',
      })
      expect(inCi).toMatchObject({ code: 1, stdout: '' })
      expect(inCi.stderr).toMatch(/^error: CI is set: openkyc conformance never calls a real vendor in CI/)
    } finally {
      await close()
    }
  })

  it('refuses an unknown provider in one line', async () => {
    const run = await runBin(['conformance', '--provider', 'acme'])
    expect(run).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'error: unknown provider acme: use jumio, persona, onfido\n',
    })
  })
})
