import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { scenarios } from '@openkyc/testkit/catalogue'
import { createSimulatorClock } from '@openkyc/testkit/harness'
import { describe, expect, it } from 'vitest'
import type { DemoSnapshot } from '../src/comparison.js'
import { runCli } from './support/run-cli.js'

const personalData = scenarios.flatMap(({ applicant }) => [
  applicant.firstName,
  applicant.lastName,
  applicant.dateOfBirth,
  applicant.documentNumber,
])

describe('the built CLI', () => {
  it('runs the whole catalogue through the three simulators, and each ends as the catalogue expects', async () => {
    const run = await runCli(['--json', '--no-web'])
    expect(run.code, run.stderr).toBe(0)
    // stdout is the JSON document and nothing else.
    const snapshot = JSON.parse(run.stdout) as DemoSnapshot
    expect(snapshot.providers.map(({ provider, mode }) => ({ provider, mode }))).toEqual([
      { provider: 'jumio', mode: 'simulator' },
      { provider: 'persona', mode: 'simulator' },
      { provider: 'onfido', mode: 'simulator' },
    ])
    expect(snapshot.rows.map((row) => row.scenario.id)).toEqual(scenarios.map((scenario) => scenario.id))
    for (const scenario of scenarios) {
      const row = snapshot.rows.find((candidate) => candidate.scenario.id === scenario.id)!
      for (const provider of ['jumio', 'persona', 'onfido'] as const) {
        const result = row.results[provider]
        const where = `${provider} ${scenario.id}`
        expect(result?.error, where).toBeNull()
        expect(result?.status, where).toBe(scenario.expected.status)
        expect(result?.outcome, where).toBe(scenario.expected.outcome ?? null)
      }
    }
    expect(snapshot.capabilities.providers.map((entry) => entry.provider)).toEqual([
      'jumio',
      'persona',
      'onfido',
    ])
    expect(snapshot.latency.map((entry) => entry.provider)).toEqual(['jumio', 'persona', 'onfido'])
    expect(run.stderr).toContain('jumio: using the local simulator at http://127.0.0.1:')
    expect(run.stderr).toContain('persona: using the local simulator at http://127.0.0.1:')
    expect(run.stderr).toContain('onfido: using the local simulator at http://127.0.0.1:')
    for (const value of personalData) {
      expect(run.stdout, 'personal data on stdout').not.toContain(value)
      expect(run.stderr, 'personal data on stderr').not.toContain(value)
    }
  })

  it('runs one provider and the chosen scenarios, and prints the table by default', async () => {
    const run = await runCli([
      '--provider',
      'persona',
      '--scenario',
      'underage',
      '--scenario',
      'clean_approve',
      '--no-web',
    ])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(
      /^OpenKYC demo: 2 applicants through Persona \(simulator at http:\/\/127\.0\.0\.1:\d+\)/,
    )
    expect(run.stdout).toMatch(/│ Clean approve\s+│ approved/)
    expect(run.stdout).toMatch(/│ Underage\s+│ declined/)
    expect(run.stdout).not.toContain('Jumio')
    expect(run.stdout).not.toContain('Web page')
  })

  it("uses a provider's real API when its credentials are set, and says so", async () => {
    // Stands in for Persona's sandbox: the CLI talks to it exactly as to api.withpersona.com.
    const sandbox = createPersonaSimulator({ clock: createSimulatorClock({ mode: 'real' }) })
    const server = await sandbox.listen()
    try {
      const run = await runCli(
        [
          '--provider',
          'persona',
          '--scenario',
          'clean_approve',
          '--scenario',
          'expired_document',
          '--json',
          '--no-web',
        ],
        {
          PERSONA_API_KEY: 'persona_sandbox_cli_test_key',
          PERSONA_TEMPLATE_ID: 'itmpl_cli_test',
          PERSONA_BASE_URL: `${server.url}/api/v1`,
          PERSONA_HOSTED_FLOW_URL: `${server.url}/verify`,
        },
      )
      expect(run.code, run.stderr).toBe(0)
      expect(run.stderr).toContain(
        'persona: using Persona API (sandbox) with the credentials in the environment',
      )
      expect(run.stderr).not.toContain('persona_sandbox_cli_test_key')
      const snapshot = JSON.parse(run.stdout) as DemoSnapshot
      expect(snapshot.providers).toEqual([
        { provider: 'persona', mode: 'live', description: 'Persona API (sandbox)' },
      ])
      // The sandbox's simulate actions moved each inquiry to the catalogue's outcome.
      expect(snapshot.rows.map((row) => [row.scenario.id, row.results.persona?.outcome])).toEqual([
        ['clean_approve', 'approved'],
        ['expired_document', 'declined'],
      ])
      expect(
        sandbox.requests.filter((request) => request.path.endsWith('/perform-simulate-actions')),
      ).toHaveLength(2)
    } finally {
      await server.close()
    }
  })

  it('names the missing variable when credentials are partial, in one line, without a stack trace', async () => {
    const run = await runCli(['--no-web'], { JUMIO_CLIENT_ID: 'client-id-from-test' })
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toBe(
      'error: Jumio credentials are incomplete: set JUMIO_CLIENT_SECRET and JUMIO_USER_AGENT and JUMIO_REGION (or JUMIO_AUTH_URL, JUMIO_ACCOUNT_URL and JUMIO_RETRIEVAL_URL) (found JUMIO_CLIENT_ID), or unset JUMIO_CLIENT_ID and JUMIO_CLIENT_SECRET to use the simulator.\n',
    )
  })

  it("passes an adapter's configuration error on as one line naming the setting", async () => {
    const run = await runCli(['--provider', 'persona', '--no-web'], {
      PERSONA_API_KEY: 'persona_sandbox_from_test',
      PERSONA_TEMPLATE_ID: 'not-a-template',
    })
    expect(run.code).toBe(1)
    const lines = run.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /^error: The persona adapter is misconfigured: templateId \(from PERSONA_TEMPLATE_ID\) is invalid/,
    )
    expect(run.stderr).not.toContain('persona_sandbox_from_test')
  })

  it('rejects a bad command line with exit code 2', async () => {
    const run = await runCli(['--provider', 'veriff'])
    expect(run.code).toBe(2)
    expect(run.stderr).toBe(
      'error: Unknown provider "veriff": use jumio, persona or onfido. Run with --help for usage.\n',
    )
  })

  it('prints usage with --help', async () => {
    const run = await runCli(['--help'])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Usage: pnpm demo [options]')
    expect(run.stdout).toContain('--scenario <id>')
  })
})
