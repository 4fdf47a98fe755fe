import {
  type Environment as CoreEnvironment,
  capabilityMethods,
  createKyc,
  isKycError,
  type KycAdapter,
  type KycErrorCode,
} from '@openkyc/core'
import type { Command } from 'commander'
import type { DoctorCheck, Environment } from '../doctor/doctor-check.js'
import { formatCheck } from '../doctor/doctor-command.js'
import { type DoctorProvider, doctorProviders } from '../doctor/doctor-providers.js'
import { type CliIo, line, printJson } from '../output.js'
import { guarded } from '../store/command-support.js'
import { CliFailure } from '../store/open-cli-database.js'

/** The variable whose presence means real credentials are set for a provider. */
const credentialVariables: Record<string, string> = {
  jumio: 'JUMIO_CLIENT_ID',
  persona: 'PERSONA_API_KEY',
  onfido: 'ONFIDO_API_TOKEN',
}

type Simulated = { env: Environment; close: () => Promise<void> }

/** Starts the provider's simulator on loopback and returns the settings that point the adapter at it. */
async function startSimulator(name: string): Promise<Simulated> {
  const packageName = `@openkyc/simulator-${name}`
  let module: Record<string, unknown>
  try {
    module = (await import(packageName)) as Record<string, unknown>
  } catch {
    throw new CliFailure(
      `no ${name} credentials are set and ${packageName} is not installed: set them, or install it`,
    )
  }
  if (name === 'persona') {
    const simulator = (module.createPersonaSimulator as (options: unknown) => SimulatorLike)({
      webhook: { secret: 'wbhsec_openkyc_conformance' },
    })
    const { url, close } = await simulator.listen()
    return {
      close,
      env: {
        PERSONA_API_KEY: 'persona_sandbox_openkyc_conformance',
        PERSONA_TEMPLATE_ID: 'itmpl_openkyc_conformance',
        PERSONA_WEBHOOK_SECRETS: 'wbhsec_openkyc_conformance',
        PERSONA_BASE_URL: `${url}/api/v1`,
      },
    }
  }
  if (name === 'onfido') {
    const { url, close } = await (module.createOnfidoSimulator as () => SimulatorLike)().listen()
    return {
      close,
      env: {
        ONFIDO_API_TOKEN: module.onfidoSimulatorApiToken as string,
        ONFIDO_WORKFLOW_ID: module.onfidoSimulatorWorkflowId as string,
        ONFIDO_WEBHOOK_TOKENS: module.onfidoSimulatorWebhookToken as string,
        ONFIDO_BASE_URL: `${url}/v3.6`,
      },
    }
  }
  const { url, close } = await (module.createJumioSimulator as () => SimulatorLike)().listen()
  const client = module.jumioSimulatorClient as { id: string; secret: string }
  return {
    close,
    env: {
      JUMIO_CLIENT_ID: client.id,
      JUMIO_CLIENT_SECRET: client.secret,
      JUMIO_AUTH_URL: url,
      JUMIO_ACCOUNT_URL: url,
      JUMIO_API_URL: url,
      JUMIO_RETRIEVAL_URL: url,
      JUMIO_CALLBACK_URL: 'https://kyc.example.com/webhooks/jumio',
      JUMIO_USER_AGENT: 'openkyc conformance/1.0',
    },
  }
}

type SimulatorLike = { listen(): Promise<{ url: string; close: () => Promise<void> }> }

/** Settles to the error `work` throws, or `undefined` when it resolves. */
async function failure(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work()
    return undefined
  } catch (error) {
    return error
  }
}

function expectCode(error: unknown, codes: readonly KycErrorCode[]): string | undefined {
  if (error === undefined) return 'it succeeded'
  if (!isKycError(error))
    return `it threw ${error instanceof Error ? error.name : 'a non-error'}, not a KycError`
  return codes.includes(error.code) ? undefined : `it threw ${error.code}, expected ${codes.join(' or ')}`
}

/**
 * The read-only, non-destructive checks: nothing is created, changed or deleted at the vendor. Each
 * is one line: capability honesty, an unknown verification read, a forged webhook, and no secret in
 * any error message.
 */
async function runChecks(
  provider: DoctorProvider,
  module: unknown,
  env: Environment,
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = []
  const add = (check: string, problem: string | undefined, ok: string) =>
    checks.push({
      check,
      provider: provider.name,
      status: problem === undefined ? 'ok' : 'problem',
      message: problem ?? ok,
    })
  let requests = 0
  const countingFetch = (input: Request, init?: RequestInit) => {
    requests += 1
    return globalThis.fetch(input, init)
  }
  const adapter: KycAdapter = provider.create(module, env, countingFetch)
  const kyc = createKyc({
    adapters: { [provider.name]: adapter },
    provider: provider.name,
    env: env as CoreEnvironment,
  })
  const secrets = Object.entries(env)
    .filter(([name, value]) => /KEY|SECRET|TOKEN/.test(name) && value !== undefined && value.length >= 8)
    .map(([, value]) => value as string)
  const errors: unknown[] = []

  const undeclared = Object.entries(capabilityMethods).filter(
    ([capability]) => adapter.capabilities[capability as keyof typeof adapter.capabilities] !== true,
  )
  const before = requests
  const honesty: string[] = []
  for (const [capability, methods] of undeclared) {
    for (const method of methods) {
      const call = (kyc as unknown as Record<string, ((options: unknown) => Promise<unknown>) | undefined>)[
        method
      ]
      const error = await failure(async () => call?.call(kyc, {}))
      errors.push(error)
      const problem = call === undefined ? undefined : expectCode(error, ['unsupported_capability'])
      if (problem !== undefined) honesty.push(`${capability}.${method}: ${problem}`)
    }
  }
  add(
    'capabilities',
    honesty[0] ?? (requests === before ? undefined : 'an undeclared capability sent a request'),
    `${undeclared.length} undeclared capabilit${undeclared.length === 1 ? 'y refuses' : 'ies refuse'} before any request`,
  )

  const notFound = await failure(() => adapter.getVerification({ reference: provider.absentReference() }))
  errors.push(notFound)
  add(
    'read-unknown',
    expectCode(notFound, ['not_found']),
    'reading a verification that does not exist is KycNotFoundError',
  )

  const forged = await failure(() =>
    adapter.parseWebhook({
      headers: new Headers({
        'content-type': 'application/json',
        'persona-signature': 't=1,v1=00',
        'x-sha2-signature': '00',
      }),
      rawBody: '{"data":{"type":"event","id":"evt_forged","attributes":{"name":"inquiry.approved"}}}',
    }),
  )
  errors.push(forged)
  add(
    'webhook-forged',
    expectCode(forged, ['webhook_verification', 'invalid_request']),
    'a forged webhook is refused with a typed error',
  )

  const leaked = errors.some(
    (error) =>
      error instanceof Error &&
      secrets.some((secret) => `${error.message}${error.stack ?? ''}`.includes(secret)),
  )
  add(
    'no-secrets',
    leaked ? 'an error message holds a credential' : undefined,
    'no error message holds a credential',
  )
  return checks
}

/** Registers `openkyc conformance`. */
export function registerConformance(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  program
    .command('conformance')
    .description(
      "run the read-only, non-destructive conformance checks against the vendor's sandbox when its credentials are set (never in CI), else against the local simulator",
    )
    .requiredOption('--provider <name>', 'jumio, persona or onfido')
    .option('--json', 'print the report as JSON')
    .action((options: { provider: string; json?: boolean }) =>
      guarded(io, setExitCode, async () => {
        const provider = doctorProviders.find((candidate) => candidate.name === options.provider)
        if (provider === undefined) {
          throw new CliFailure(
            `unknown provider ${options.provider}: use ${doctorProviders.map((known) => known.name).join(', ')}`,
          )
        }
        const sandbox = Boolean(io.env[credentialVariables[provider.name] ?? '']?.trim())
        if (sandbox && io.env.CI) {
          throw new CliFailure(
            'CI is set: openkyc conformance never calls a real vendor in CI; unset the credentials to use the simulator',
          )
        }
        const simulated = sandbox ? undefined : await startSimulator(provider.name)
        try {
          const env = simulated?.env ?? io.env
          const checks = await runChecks(provider, await import(provider.packageName), env)
          const ok = checks.every((check) => check.status !== 'problem')
          const target = sandbox ? `${provider.name} sandbox` : `${provider.name} simulator`
          if (options.json)
            printJson(io, { provider: provider.name, target: sandbox ? 'sandbox' : 'simulator', ok, checks })
          else {
            line(io.stdout, `against the ${target}:`)
            for (const check of checks) line(io.stdout, formatCheck(check))
            line(io.stdout, ok ? 'Conforms.' : 'Does not conform.')
          }
          return ok ? 0 : 1
        } finally {
          await simulated?.close()
        }
      }),
    )
}
