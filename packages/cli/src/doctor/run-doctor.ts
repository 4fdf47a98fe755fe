import { isKycError, providerEnvironmentVariable } from '@openkyc/core'
import type { HttpFetch } from '@openkyc/core/http'
import type { DoctorCheck, DoctorReport, Environment } from './doctor-check.js'
import { type DoctorProvider, doctorProviders } from './doctor-providers.js'
import { databaseUrlProblem } from './setting-rules.js'

/** Options for {@link runDoctor}. */
export type RunDoctorOptions = {
  env: Environment
  /** Where vendor calls go. Default `globalThis.fetch`. */
  fetch?: HttpFetch
  /** The local clock, for the skew check. Default `Date.now`. */
  now?: () => number
  /** How long the credentials call may take. Default 15 000 ms. */
  timeoutMs?: number
  /** The largest clock difference from a vendor that is not a problem. Default 60 000 ms. */
  maxClockSkewMs?: number
  /** Loads a provider's package; `undefined` when it is not installed. Default: a dynamic `import()`. */
  load?: (packageName: string) => Promise<unknown | undefined>
}

async function importIfInstalled(packageName: string): Promise<unknown | undefined> {
  try {
    return await import(packageName)
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return undefined
    throw error
  }
}

/** A `KycError`'s message (written without personal data or secrets), or only the name of anything else. */
function describe(error: unknown): string {
  if (isKycError(error)) return error.message
  return error instanceof Error ? `unexpected ${error.name}` : 'unexpected failure'
}

function isConfigured(provider: DoctorProvider, env: Environment, chosen: string | undefined): boolean {
  if (chosen === provider.name) return true
  return Object.keys(env).some((name) => name.startsWith(provider.variablePrefix) && env[name]?.trim())
}

async function checkProvider(
  provider: DoctorProvider,
  module: unknown,
  options: Required<Pick<RunDoctorOptions, 'env' | 'fetch' | 'now' | 'timeoutMs' | 'maxClockSkewMs'>>,
): Promise<DoctorCheck[]> {
  const { env } = options
  const checks: DoctorCheck[] = []
  const add = (check: string, status: DoctorCheck['status'], message: string) =>
    checks.push({ check, provider: provider.name, status, message })

  // Every response's Date header, to compare with the local clock.
  const skews: number[] = []
  const observingFetch: HttpFetch = async (input, init) => {
    const sentAt = options.now()
    const response = await options.fetch(input, init)
    const date = Date.parse(response.headers.get('date') ?? '')
    if (!Number.isNaN(date)) skews.push(date - (sentAt + options.now()) / 2)
    return response
  }

  let adapter: ReturnType<DoctorProvider['create']>
  try {
    adapter = provider.create(module, env, observingFetch)
    add('settings', 'ok', 'settings present and well formed')
  } catch (error) {
    add('settings', 'problem', describe(error))
    for (const problem of provider.settingProblems(env)) add(problem.check, 'problem', problem.message)
    return checks
  }
  for (const problem of provider.settingProblems(env)) add(problem.check, 'problem', problem.message)

  try {
    await adapter.getVerification({
      reference: provider.absentReference(),
      signal: AbortSignal.timeout(options.timeoutMs),
    })
    add('credentials', 'ok', 'credentials accepted')
  } catch (error) {
    const code = isKycError(error) ? error.code : undefined
    if (code === 'not_found') add('credentials', 'ok', 'credentials accepted (a harmless read answered 404)')
    else if (code === 'authentication') {
      add(
        'credentials',
        'problem',
        `credentials refused by ${provider.name}: check the API key or client id and secret`,
      )
    } else if (code === 'rate_limited') {
      add(
        'credentials',
        'problem',
        `${provider.name} is rate limiting these credentials (HTTP 429): run the doctor again in a minute`,
      )
    } else if (error instanceof DOMException && error.name === 'TimeoutError') {
      add(
        'credentials',
        'problem',
        `${provider.name} did not answer within ${options.timeoutMs} ms: check the base URLs and the network`,
      )
    } else add('credentials', 'problem', `could not check the credentials: ${describe(error)}`)
  }

  if (skews.length === 0)
    add('clock', 'skipped', `${provider.name} sent no Date header to compare the clock with`)
  else {
    const skew = skews[skews.length - 1]!
    const seconds = Math.round(Math.abs(skew) / 1000)
    if (Math.abs(skew) > options.maxClockSkewMs) {
      add(
        'clock',
        'problem',
        `the local clock is ${seconds} s ${skew > 0 ? 'behind' : 'ahead of'} ${provider.name}: synchronise it (NTP); signed webhooks will be refused`,
      )
    } else add('clock', 'ok', `clock within ${seconds} s of ${provider.name}`)
  }
  return checks
}

/**
 * Checks a deployment's configuration from its environment, without sending personal data: the
 * chosen provider, every configured provider's settings, its credentials (one harmless authenticated
 * read of a verification that does not exist), vendor format rules (Persona webhook secrets, Jumio
 * callback URL), the clock against the vendor's, and the database URL. Never throws for a problem:
 * each is a `problem` line naming what to set.
 *
 * @example
 * ```ts
 * const report = await runDoctor({ env: process.env })
 * if (!report.ok) process.exitCode = 1
 * ```
 */
export async function runDoctor(options: RunDoctorOptions): Promise<DoctorReport> {
  const env = options.env
  const load = options.load ?? importIfInstalled
  const resolved = {
    env,
    fetch: options.fetch ?? ((input: Request, init?: RequestInit) => globalThis.fetch(input, init)),
    now: options.now ?? Date.now,
    timeoutMs: options.timeoutMs ?? 15_000,
    maxClockSkewMs: options.maxClockSkewMs ?? 60_000,
  }
  const checks: DoctorCheck[] = []
  const installed: { provider: DoctorProvider; module: unknown }[] = []
  for (const provider of doctorProviders) {
    const module = await load(provider.packageName)
    if (module !== undefined) installed.push({ provider, module })
  }
  const names = installed.map(({ provider }) => provider.name)

  const chosen = env[providerEnvironmentVariable]?.trim() || undefined
  if (chosen === undefined) {
    checks.push({
      check: 'provider',
      status: names.length > 1 ? 'problem' : 'ok',
      message:
        names.length > 1
          ? `${providerEnvironmentVariable} is not set: set it to one of ${names.join(', ')}`
          : `${providerEnvironmentVariable} is not set; the only installed provider is used`,
    })
  } else if (!names.includes(chosen.toLowerCase())) {
    checks.push({
      check: 'provider',
      status: 'problem',
      message: `${providerEnvironmentVariable} names a provider that is not installed: set it to one of ${names.join(', ')}`,
    })
  } else
    checks.push({
      check: 'provider',
      status: 'ok',
      message: `${providerEnvironmentVariable} chooses ${chosen.toLowerCase()}`,
    })

  const configured = installed.filter(({ provider }) => isConfigured(provider, env, chosen?.toLowerCase()))
  if (configured.length === 0) {
    checks.push({
      check: 'settings',
      status: 'problem',
      message: `no provider is configured: set ${providerEnvironmentVariable} and the provider's settings (${installed.map(({ provider }) => `${provider.variablePrefix}*`).join(', ')})`,
    })
  }
  for (const { provider } of installed) {
    if (!configured.some((entry) => entry.provider === provider)) {
      checks.push({
        check: 'settings',
        provider: provider.name,
        status: 'skipped',
        message: 'not configured',
      })
    }
  }
  for (const { provider, module } of configured)
    checks.push(...(await checkProvider(provider, module, resolved)))

  checks.push(await checkDatabase(env.DATABASE_URL?.trim(), load))

  return { ok: checks.every((check) => check.status !== 'problem'), checks }
}

type PostgresModule = typeof import('@openkyc/postgres')

/** `DATABASE_URL`: well formed, the server reachable, and the schema migrated to this version. */
async function checkDatabase(
  url: string | undefined,
  load: (packageName: string) => Promise<unknown | undefined>,
): Promise<DoctorCheck> {
  if (!url)
    return {
      check: 'database',
      status: 'skipped',
      message: 'DATABASE_URL is not set (no durable store configured)',
    }
  const problem = databaseUrlProblem(url)
  if (problem !== undefined) return { check: 'database', status: 'problem', message: problem }
  const postgres = (await load('@openkyc/postgres')) as PostgresModule | undefined
  if (postgres === undefined) {
    return {
      check: 'database',
      status: 'skipped',
      message: 'DATABASE_URL is well formed; install @openkyc/postgres to check the database',
    }
  }
  let database: Awaited<ReturnType<PostgresModule['openDatabase']>> | undefined
  try {
    database = await postgres.openDatabase({ url, maxConnections: 1 })
    await postgres.assertMigrated(database)
    return { check: 'database', status: 'ok', message: 'database reachable and migrated' }
  } catch (error) {
    const code = isKycError(error) ? error.code : undefined
    if (code === 'store_integrity') {
      return { check: 'database', status: 'problem', message: `${describe(error)} Run openkyc migrate.` }
    }
    // The store's own message speaks of transactions and redeliveries: name what to check instead.
    return {
      check: 'database',
      status: 'problem',
      message:
        'the database at DATABASE_URL could not be reached: check that the server is up, and the host, port, user and password',
    }
  } finally {
    await database?.close().catch(() => undefined)
  }
}
