import { type KycAdapter, kycCapabilities } from '@openkyc/core'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { conformanceTestIds } from '@openkyc/testkit'
import { readOnlySuiteCheckNames } from '@openkyc/testkit/read-only-conformance'
import { describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import {
  conformanceExitCode,
  runConformanceChecks,
  startSimulator,
} from '../src/conformance/conformance-command.js'
import { doctorProviders } from '../src/doctor/doctor-providers.js'
import { runBin } from './support/run-bin.js'

vi.setConfig({ testTimeout: 120_000 })

const reportSchema = z.strictObject({
  provider: z.string(),
  target: z.enum(['sandbox', 'simulator']),
  ok: z.boolean(),
  checks: z.array(
    z.strictObject({
      check: z.string().min(1),
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
    expect(report.checks.every((check) => check.status === 'ok')).toBe(true)
    const human = await runBin(['conformance', '--provider', 'onfido'])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(
      /^against the onfido simulator:\n(ok {7}onfido [a-zA-Z.-]+: .+\n)+Conforms\.\n$/,
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

  for (const provider of doctorProviders) {
    it(`runs every read-only check the testkit suite has, plus the vendor reads, for ${provider.name}`, async () => {
      const run = await runBin(['conformance', '--provider', provider.name, '--json'])
      expect(run).toMatchObject({ code: 0, stderr: '' })
      const names = reportSchema.parse(JSON.parse(run.stdout)).checks.map((check) => check.check)
      // The adapter's declared capabilities decide which suite tests are read-only checks.
      const simulated = await startSimulator(provider.name)
      try {
        const adapter = provider.create(await import(provider.packageName), simulated.env, fetch)
        const suiteNames = readOnlySuiteCheckNames(adapter.capabilities)
        expect(suiteNames.length).toBeGreaterThan(1)
        for (const name of suiteNames) expect(conformanceTestIds).toContain(name)
        expect(names).toEqual([...suiteNames, 'read-unknown', 'webhook-forged', 'no-secrets'])
      } finally {
        await simulated.close()
      }
    })
  }

  it('a broken adapter does not conform: a problem line per broken check and exit code 1', async () => {
    const simulated = await startSimulator('persona')
    try {
      const persona = doctorProviders.find((candidate) => candidate.name === 'persona')!
      const adapter = persona.create(await import(persona.packageName), simulated.env, fetch)
      const undeclared = kycCapabilities.find((capability) => adapter.capabilities[capability] !== true)
      if (undeclared === undefined) expect.fail('the persona adapter declares every capability')
      const broken: KycAdapter = {
        ...adapter,
        // Claims a capability it has no method for, and takes every webhook without verifying it.
        capabilities: { ...adapter.capabilities, [undeclared]: true },
        getVerification: (options) => adapter.getVerification(options),
        createVerification: (options) => adapter.createVerification(options),
        parseWebhook: async () => [],
      }
      const checks = await runConformanceChecks({
        provider: 'persona',
        adapter: broken,
        requestCount: () => 0,
        absentReference: persona.absentReference(),
        secrets: [],
      })
      const problems = checks.filter((check) => check.status === 'problem').map((check) => check.check)
      expect(problems).toEqual(['interface', 'webhook-forged'])
      expect(conformanceExitCode(checks)).toBe(1)
      const healthy = await runConformanceChecks({
        provider: 'persona',
        adapter,
        requestCount: () => 0,
        absentReference: persona.absentReference(),
        secrets: [],
      })
      expect(conformanceExitCode(healthy)).toBe(0)
    } finally {
      await simulated.close()
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
