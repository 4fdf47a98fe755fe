import { createHmac, randomBytes, randomUUID } from 'node:crypto'
import { gzipSync } from 'node:zlib'

/**
 * Bearer tokens. Jumio hands out two kinds (`reference/jumio-api.md` §1): the tenant's OAuth2 access
 * token (account create/update, retrieval, deletion) and a per-transaction token returned by account
 * create/update (credential upload and finalize, `sdk.token`, `authorizationToken` in `web.href`).
 * Both are minted as compact JWS so adapters that decode `exp` work; the simulator itself never
 * trusts the contents and looks every token up in its own table.
 */

/** What a token grants. */
export type JumioTokenGrant =
  | { kind: 'oauth'; clientId: string; expiresAt: number }
  | { kind: 'transaction'; accountId: string; workflowExecutionId: string; expiresAt: number }

const base64url = (input: Buffer | string): string => Buffer.from(input).toString('base64url')

/** Mints and remembers tokens for one simulator. */
export class JumioTokenIssuer {
  readonly #secret = randomBytes(32)
  readonly #grants = new Map<string, JumioTokenGrant>()

  /**
   * A standard JWT (`HS512`, JSON payload with `iat`/`exp` in seconds), so adapters can read the
   * expiry as DOC Authorization suggests ("decode JWT exp/iat").
   */
  issueAccessToken(clientId: string, now: number, lifetimeSeconds: number): string {
    const header = base64url(JSON.stringify({ alg: 'HS512', typ: 'JWT' }))
    const issuedAt = Math.floor(now / 1000)
    const payload = base64url(
      JSON.stringify({ sub: clientId, iat: issuedAt, exp: issuedAt + lifetimeSeconds, jti: randomUUID() }),
    )
    const token = this.#sign(header, payload)
    this.#grants.set(token, { kind: 'oauth', clientId, expiresAt: now + lifetimeSeconds * 1000 })
    return token
  }

  /**
   * A transaction token shaped like the real ones: header `{"alg":"HS512","zip":"GZIP"}` and a gzipped
   * payload (IF fixtures, DOC examples).
   */
  issueTransactionToken(
    accountId: string,
    workflowExecutionId: string,
    now: number,
    lifetimeSeconds: number,
  ): string {
    const header = base64url(JSON.stringify({ alg: 'HS512', zip: 'GZIP' }))
    const issuedAt = Math.floor(now / 1000)
    const payload = base64url(
      gzipSync(JSON.stringify({ jti: randomUUID(), iat: issuedAt, exp: issuedAt + lifetimeSeconds })),
    )
    const token = this.#sign(header, payload)
    this.#grants.set(token, {
      kind: 'transaction',
      accountId,
      workflowExecutionId,
      expiresAt: now + lifetimeSeconds * 1000,
    })
    return token
  }

  /** The grant behind a token, if the simulator issued it (expired or not). */
  lookup(token: string): JumioTokenGrant | undefined {
    return this.#grants.get(token)
  }

  /** Makes a token's grant end at `at` (used when an execution is finalized or deleted). */
  expire(token: string, at: number): void {
    const grant = this.#grants.get(token)
    if (grant !== undefined) this.#grants.set(token, { ...grant, expiresAt: Math.min(grant.expiresAt, at) })
  }

  #sign(header: string, payload: string): string {
    const signature = createHmac('sha512', this.#secret).update(`${header}.${payload}`).digest()
    return `${header}.${payload}.${base64url(signature)}`
  }
}

/** The bearer token of an `Authorization` header, if it has one. */
export function bearerToken(header: string | null | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')
  return match?.[1]
}

/** The `client_id:client_secret` pair of a Basic `Authorization` header, if well formed. */
export function basicCredentials(
  header: string | null | undefined,
): { id: string; secret: string } | undefined {
  const match = /^Basic\s+(\S+)\s*$/i.exec(header ?? '')
  if (!match) return undefined
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
  const separator = decoded.indexOf(':')
  if (separator === -1) return undefined
  return {
    id: formDecode(decoded.slice(0, separator)),
    secret: formDecode(decoded.slice(separator + 1)),
  }
}

/** RFC 6749 §2.3.1 form-encodes client credentials before Basic encoding; a stray `%` is kept as it is. */
function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '))
  } catch {
    return value
  }
}
