import { raceAbort } from '@openkyc/core/http'

/** One OAuth2 access token and how long Jumio said it lives. */
export type JumioAccessToken = { accessToken: string; expiresInSeconds: number | undefined }

/** What {@link createJumioTokenCache} needs. */
export type JumioTokenCacheOptions = {
  /** Asks Jumio for a new token (`POST /oauth2/token`). Called by at most one caller at a time. */
  requestToken: () => Promise<JumioAccessToken>
  /** The clock, in milliseconds. */
  now: () => number
}

/** The token cache: a valid token for every caller, one refresh at a time. */
export type JumioTokenCache = {
  /** A token that is valid for a while yet; refreshes (once, shared) when none is. */
  get(signal?: AbortSignal): Promise<string>
  /**
   * Forgets `token` after Jumio refused it (401), so the next `get` fetches a new one. A token other
   * than the current one is ignored: when many calls fail with the same stale token at once, the
   * first one refreshes and the others reuse the result.
   */
  invalidate(token: string): void
}

/** Jumio's documented token lifetime, used when the response does not say (DOC Authorization). */
const defaultLifetimeSeconds = 3600

/** Refresh this long before expiry ("a few minutes", DOC Authorization), but never more than a tenth of the lifetime. */
const maximumRefreshMarginMs = 5 * 60_000

/**
 * Caches Jumio's client-credentials token: Jumio bills and rate-limits token requests (10 per second
 * per tenant) and asks integrators to reuse a token until shortly before it expires. Concurrent
 * callers share one in-flight refresh, so a burst at expiry sends exactly one token request.
 *
 * @example
 * ```ts
 * const tokens = createJumioTokenCache({ requestToken: () => fetchToken(), now: Date.now })
 * const token = await tokens.get(signal)
 * ```
 */
export function createJumioTokenCache(options: JumioTokenCacheOptions): JumioTokenCache {
  let current: { token: string; refreshAt: number } | undefined
  let inflight: Promise<string> | undefined

  const refresh = (): Promise<string> => {
    inflight ??= options
      .requestToken()
      .then(({ accessToken, expiresInSeconds }) => {
        const lifetimeMs =
          (expiresInSeconds !== undefined && expiresInSeconds > 0
            ? expiresInSeconds
            : defaultLifetimeSeconds) * 1000
        const marginMs = Math.min(maximumRefreshMarginMs, lifetimeMs / 10)
        current = { token: accessToken, refreshAt: options.now() + lifetimeMs - marginMs }
        return accessToken
      })
      .finally(() => {
        inflight = undefined
      })
    return inflight
  }

  return {
    async get(signal) {
      signal?.throwIfAborted()
      if (current !== undefined && options.now() < current.refreshAt) return current.token
      return raceAbort(refresh(), signal)
    },
    invalidate(token) {
      if (current?.token === token) current = undefined
    },
  }
}
