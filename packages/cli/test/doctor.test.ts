import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createJumioSimulator, jumioSimulatorClient } from '@openkyc/simulator-jumio'
import {
  createOnfidoSimulator,
  onfidoSimulatorApiToken,
  onfidoSimulatorWebhookToken,
  onfidoSimulatorWorkflowId,
} from '@openkyc/simulator-onfido'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { runBin } from './support/run-bin.js'

const personaApiKey = 'persona_sandbox_doctor_key_7f3a'
const personaWebhookSecret = 'wbhsec_doctor_4f1c9e'

const reportSchema = z.strictObject({
  ok: z.boolean(),
  checks: z.array(
    z.strictObject({
      check: z.string().min(1),
      provider: z.string().min(1).optional(),
      status: z.enum(['ok', 'problem', 'skipped']),
      message: z.string().min(1),
    }),
  ),
})

const closers: (() => Promise<void>)[] = []
let healthy: Record<string, string>
let skewedUrl: string

/** A loopback server that answers every request 404 with a Date header one hour ahead. */
async function startSkewedVendor(): Promise<string> {
  const server: Server = createServer((_request, response) => {
    response.setHeader('date', new Date(Date.now() + 3_600_000).toUTCString())
    response.setHeader('content-type', 'application/json')
    response.writeHead(404).end(JSON.stringify({ errors: [{ title: 'Record not found' }] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(() => new Promise((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

// Fresh simulators for every test: the Jumio simulator rate-limits a client as Jumio does.
beforeEach(async () => {
  const persona = createPersonaSimulator({
    apiKeys: [personaApiKey],
    webhook: { secret: personaWebhookSecret },
  })
  const personaServer = await persona.listen()
  const jumio = createJumioSimulator()
  const jumioServer = await jumio.listen()
  const onfidoServer = await createOnfidoSimulator({ apiTokens: [onfidoSimulatorApiToken] }).listen()
  closers.push(personaServer.close, jumioServer.close, onfidoServer.close)
  skewedUrl = await startSkewedVendor()
  healthy = {
    KYC_PROVIDER: 'persona',
    PERSONA_API_KEY: personaApiKey,
    PERSONA_TEMPLATE_ID: 'itmpl_doctor',
    PERSONA_WEBHOOK_SECRETS: personaWebhookSecret,
    PERSONA_BASE_URL: `${personaServer.url}/api/v1`,
    JUMIO_CLIENT_ID: jumioSimulatorClient.id,
    JUMIO_CLIENT_SECRET: jumioSimulatorClient.secret,
    JUMIO_AUTH_URL: jumioServer.url,
    JUMIO_ACCOUNT_URL: jumioServer.url,
    JUMIO_API_URL: jumioServer.url,
    JUMIO_RETRIEVAL_URL: jumioServer.url,
    JUMIO_CALLBACK_URL: 'https://kyc.example.com/webhooks/jumio',
    JUMIO_USER_AGENT: 'OpenKYC doctor test/1.0',
    ONFIDO_API_TOKEN: onfidoSimulatorApiToken,
    ONFIDO_WORKFLOW_ID: onfidoSimulatorWorkflowId,
    ONFIDO_WEBHOOK_TOKENS: onfidoSimulatorWebhookToken,
    ONFIDO_BASE_URL: `${onfidoServer.url}/v3.6`,
  }
})

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

async function doctor(env: Record<string, string>) {
  const run = await runBin(['doctor', '--json', '--timeout', '10000'], env)
  const report = reportSchema.parse(JSON.parse(run.stdout))
  return { ...run, report, problems: report.checks.filter((check) => check.status === 'problem') }
}

function without(env: Record<string, string>, name: string): Record<string, string> {
  const { [name]: _removed, ...rest } = env
  return rest
}

describe('openkyc doctor', () => {
  it('passes a healthy setup on the simulators: settings, credentials and clock of both providers', async () => {
    const { code, report, stderr } = await doctor(healthy)
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(report.ok).toBe(true)
    const byKey = Object.fromEntries(
      report.checks.map((check) => [`${check.provider ?? '-'} ${check.check}`, check.status]),
    )
    expect(byKey).toEqual({
      '- provider': 'ok',
      'jumio settings': 'ok',
      'jumio credentials': 'ok',
      'jumio clock': 'ok',
      'persona settings': 'ok',
      'persona credentials': 'ok',
      'persona clock': 'ok',
      'onfido settings': 'ok',
      'onfido credentials': 'ok',
      'onfido clock': 'ok',
      '- database': 'skipped',
    })
  })

  it('prints one readable line per check and a summary without --json', async () => {
    const { code, stdout } = await runBin(['doctor'], healthy)
    expect(code).toBe(0)
    const lines = stdout.trimEnd().split('\n')
    expect(lines.at(-1)).toBe('No problems found.')
    for (const text of lines.slice(0, -1))
      expect(text).toMatch(/^(ok|PROBLEM|skipped) +[a-z]+( [a-z-]+)?: \S/)
    expect(stdout).toContain('ok       persona credentials: credentials accepted')
  })

  const misconfigurations: [
    string,
    () => Record<string, string>,
    { check: string; provider?: string; says: RegExp },
  ][] = [
    [
      'an unknown KYC_PROVIDER',
      () => ({ ...healthy, KYC_PROVIDER: 'acme' }),
      { check: 'provider', says: /jumio, persona, onfido/ },
    ],
    [
      'a missing Persona template id',
      () => without(healthy, 'PERSONA_TEMPLATE_ID'),
      { check: 'settings', provider: 'persona', says: /PERSONA_TEMPLATE_ID/ },
    ],
    [
      'a missing Onfido workflow id',
      () => without(healthy, 'ONFIDO_WORKFLOW_ID'),
      { check: 'settings', provider: 'onfido', says: /ONFIDO_WORKFLOW_ID/ },
    ],
    [
      'a missing Onfido webhook token',
      () => without(healthy, 'ONFIDO_WEBHOOK_TOKENS'),
      { check: 'webhook-secret', provider: 'onfido', says: /ONFIDO_WEBHOOK_TOKENS/ },
    ],
    [
      'an Onfido API token the vendor refuses',
      () => ({ ...healthy, ONFIDO_API_TOKEN: 'api_sandbox.refused_by_the_simulator' }),
      { check: 'credentials', provider: 'onfido', says: /ONFIDO_API_TOKEN|refused|401|403/ },
    ],
    [
      'a missing Jumio client secret',
      () => without(healthy, 'JUMIO_CLIENT_SECRET'),
      { check: 'settings', provider: 'jumio', says: /JUMIO_CLIENT_SECRET/ },
    ],
    [
      'a Persona API key the vendor refuses',
      () => ({ ...healthy, PERSONA_API_KEY: 'persona_sandbox_revoked_key' }),
      { check: 'credentials', provider: 'persona', says: /refused/ },
    ],
    [
      'a Jumio client secret the vendor refuses',
      () => ({ ...healthy, JUMIO_CLIENT_SECRET: 'not-the-secret' }),
      { check: 'credentials', provider: 'jumio', says: /refused/ },
    ],
    [
      'a vendor that cannot be reached',
      () => ({ ...healthy, PERSONA_BASE_URL: 'http://127.0.0.1:9/api/v1' }),
      { check: 'credentials', provider: 'persona', says: /could not reach/ },
    ],
    [
      'no Persona webhook secret',
      () => without(healthy, 'PERSONA_WEBHOOK_SECRETS'),
      { check: 'webhook-secret', provider: 'persona', says: /PERSONA_WEBHOOK_SECRETS is not set/ },
    ],
    [
      'a Persona webhook secret of the wrong form',
      () => ({ ...healthy, PERSONA_WEBHOOK_SECRETS: `${personaWebhookSecret},whsec_other` }),
      { check: 'webhook-secret', provider: 'persona', says: /entry 2 .*wbhsec_/ },
    ],
    [
      'a Jumio callback URL over http',
      () => ({ ...healthy, JUMIO_CALLBACK_URL: 'http://kyc.example.com/webhooks/jumio' }),
      { check: 'settings', provider: 'jumio', says: /JUMIO_CALLBACK_URL.*https/ },
    ],
    [
      'a Jumio callback URL on an IP address',
      () => ({ ...healthy, JUMIO_CALLBACK_URL: 'https://203.0.113.7/webhooks/jumio' }),
      { check: 'settings', provider: 'jumio', says: /JUMIO_CALLBACK_URL.*IP address/ },
    ],
    [
      'a Jumio callback URL with a port',
      () => ({ ...healthy, JUMIO_CALLBACK_URL: 'https://kyc.example.com:8443/webhooks/jumio' }),
      { check: 'settings', provider: 'jumio', says: /JUMIO_CALLBACK_URL.*port/ },
    ],
    [
      'a clock an hour behind the vendor',
      () => ({ ...healthy, PERSONA_BASE_URL: `${skewedUrl}/api/v1` }),
      { check: 'clock', provider: 'persona', says: /behind persona.*NTP/ },
    ],
    [
      'a database that is down',
      () => ({ ...healthy, DATABASE_URL: 'postgres://kyc:db-secret-pw@127.0.0.1:9/kyc' }),
      { check: 'database', says: /could not be reached.*host, port, user and password/ },
    ],
    [
      'a DATABASE_URL that is not PostgreSQL',
      () => ({ ...healthy, DATABASE_URL: 'mysql://user:pass@db.example.com/kyc' }),
      { check: 'database', says: /postgres:\/\// },
    ],
  ]

  it.each(misconfigurations)(
    'finds %s: exit 1 and exactly one problem naming what to set',
    async (_name, env, expected) => {
      const settings = env()
      const { code, report, problems } = await doctor(settings)
      expect(code).toBe(1)
      expect(report.ok).toBe(false)
      expect(problems.map((problem) => [problem.check, problem.provider, problem.message])).toEqual([
        [expected.check, expected.provider, expect.stringMatching(expected.says)],
      ])
      // No setting's secret value is ever printed.
      const printed = JSON.stringify(report)
      for (const secret of [
        settings.PERSONA_API_KEY,
        settings.JUMIO_CLIENT_SECRET,
        settings.PERSONA_WEBHOOK_SECRETS,
        'db-secret-pw',
      ]) {
        if (secret) expect(printed).not.toContain(secret)
      }
    },
  )

  it('reports nothing configured when the environment is empty', async () => {
    const { code, problems, stdout } = await doctor({})
    expect(code).toBe(1)
    expect(problems.map((problem) => problem.check)).toEqual(['provider', 'settings'])
    expect(stdout).toContain('KYC_PROVIDER')
  })
})

describe('openkyc usage', () => {
  it('prints help with exit 0', async () => {
    const { code, stdout } = await runBin(['--help'])
    expect(code).toBe(0)
    expect(stdout).toContain('doctor')
  })

  it('refuses an unknown option or command with exit 2 and a hint', async () => {
    for (const args of [['doctor', '--bogus'], ['frobnicate'], []]) {
      const { code, stderr } = await runBin(args)
      expect(code, args.join(' ')).toBe(2)
      expect(stderr, args.join(' ')).toMatch(/openkyc --help|Usage: openkyc/)
    }
  })

  it('refuses a bad --timeout with exit 2 and one line', async () => {
    const { code, stderr, stdout } = await runBin(['doctor', '--timeout', 'soon'])
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toBe('error: --timeout must be a positive number of milliseconds\n')
  })
})
