import { createHmac, randomBytes } from 'node:crypto'
import type { ScenarioId } from '@openkyc/testkit/catalogue'
import type { SimulatorClock } from '@openkyc/testkit/harness'
import type { PersonaRouteContext } from './context.js'
import type { PersonaScenarioPlan } from './scenarios.js'

/**
 * What the inquiry lifecycle, the hosted flow and the control API share beyond the route context: the
 * harness clock (for expiry timers), the public base URL, and the simulator's Persona settings.
 */
export type PersonaRuntime = {
  context: PersonaRouteContext
  clock: SimulatorClock
  /** The simulator's current public origin (changes when `listen()` is called). */
  baseUrl(): string
  settings: PersonaRuntimeSettings
}

/** Persona behaviour settings resolved from `createPersonaSimulator` options. */
export type PersonaRuntimeSettings = {
  /** Default `expiration-after-create-interval-seconds` (Persona: 24 h). */
  inquiryExpirationSeconds: number
  /** Default one-time link lifetime (OAS: 24 h; an older changelog says 1 h). */
  oneTimeLinkExpirationSeconds: number
  /** Grace period after a one-time link's first use (Persona: 5 minutes). */
  oneTimeLinkGraceSeconds: number
  /** Inquiry-creation quota per window, or null for none (Persona documents 150/min). */
  inquiryCreationQuota: { limit: number; windowMs: number } | null
  /** How each catalogue scenario is realised. */
  scenarioPlans: Readonly<Record<ScenarioId, PersonaScenarioPlan>>
  /** Magic `name-last` values (lower-cased) that select a scenario. */
  magicLastNames: ReadonlyMap<string, ScenarioId>
  /** Key that signs session tokens. */
  sessionSecret: string
}

function base64Url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url')
}

/**
 * A JWT (HS256) session token for an inquiry session, like Persona's `meta.session-token`. Only the
 * simulator verifies it; clients treat it as opaque.
 */
export function createSessionToken(
  secret: string,
  sessionId: string,
  inquiryId: string,
  expiresAtMs: number,
): string {
  const header = base64Url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))
  const payload = base64Url(
    JSON.stringify({
      sub: sessionId,
      inq: inquiryId,
      aud: 'persona-verify',
      exp: Math.floor(expiresAtMs / 1000),
      jti: randomBytes(8).toString('hex'),
    }),
  )
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url')
  return `${header}.${payload}.${signature}`
}

/** Verifies a session token; returns its session and inquiry ids, or undefined when invalid or expired. */
export function readSessionToken(
  secret: string,
  token: string,
  now: number,
): { sessionId: string; inquiryId: string } | undefined {
  const [header, payload, signature] = token.split('.')
  if (header === undefined || payload === undefined || signature === undefined) return undefined
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url')
  if (expected !== signature) return undefined
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      sub?: unknown
      inq?: unknown
      exp?: unknown
    }
    if (typeof claims.sub !== 'string' || typeof claims.inq !== 'string' || typeof claims.exp !== 'number')
      return undefined
    if (claims.exp * 1000 <= now) return undefined
    return { sessionId: claims.sub, inquiryId: claims.inq }
  } catch {
    return undefined
  }
}
