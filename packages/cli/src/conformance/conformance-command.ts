import type { KycAdapter, VerificationReference } from '@openkyc/core'
import { ConformanceCheckFailure, readOnlyConformanceChecks } from '@openkyc/testkit/read-only-conformance'
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

/** A running simulator and the settings that point an adapter at it. */
export type Simulated = { env: Environment; close: () => Promise<void> }

/**
 * Starts the provider's simulator on loopback and returns the settings that point the adapter at it.
 *
 * @example
 * ```ts
 * const { env, close } = await startSimulator('persona')
 * ```
 */
export async function startSimulator(name: string): Promise<Simulated> {
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

/** What {@link runConformanceChecks} runs against. */
export type ConformanceTarget = {
  /** The provider's name, printed on each line. */
  provider: string
  /** The adapter under test. */
  adapter: KycAdapter
  /** Requests the adapter has sent so far. */
  requestCount: () => number
  /** A reference no verification has, in the vendor's format. */
  absentReference: VerificationReference
  /** The credentials the adapter was configured with, searched for in every error. */
  secrets: readonly string[]
}

/**
 * Runs every read-only, non-destructive check of the conformance suite (`@openkyc/testkit`'s
 * `readOnlyConformanceChecks`: nothing is created, changed or deleted at the vendor), one line each.
 *
 * @example
 * ```ts
 * const checks = await runConformanceChecks({ provider: 'persona', adapter, requestCount, absentReference, secrets })
 * process.exitCode = conformanceExitCode(checks)
 * ```
 */
export async function runConformanceChecks(target: ConformanceTarget): Promise<DoctorCheck[]> {
  const results: DoctorCheck[] = []
  for (const check of readOnlyConformanceChecks(target)) {
    const problem = await check.run().then(
      () => undefined,
      (error: unknown) =>
        error instanceof ConformanceCheckFailure
          ? error.message
          : `it threw ${error instanceof Error ? error.name : 'a non-error'}`,
    )
    results.push({
      check: check.name,
      provider: target.provider,
      status: problem === undefined ? 'ok' : 'problem',
      message: problem ?? check.description,
    })
  }
  return results
}

/** 0 when every check conforms, 1 otherwise. */
export function conformanceExitCode(checks: readonly DoctorCheck[]): 0 | 1 {
  return checks.every((check) => check.status !== 'problem') ? 0 : 1
}

/** Builds the adapter from `env` and runs the read-only checks against it. */
async function runChecks(
  provider: DoctorProvider,
  module: unknown,
  env: Environment,
): Promise<DoctorCheck[]> {
  let requests = 0
  const countingFetch = (input: Request, init?: RequestInit) => {
    requests += 1
    return globalThis.fetch(input, init)
  }
  const secrets = Object.entries(env)
    .filter(([name, value]) => /KEY|SECRET|TOKEN/.test(name) && value !== undefined && value.length >= 8)
    .map(([, value]) => value as string)
  return runConformanceChecks({
    provider: provider.name,
    adapter: provider.create(module, env, countingFetch),
    requestCount: () => requests,
    absentReference: provider.absentReference(),
    secrets,
  })
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
          const ok = conformanceExitCode(checks) === 0
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
