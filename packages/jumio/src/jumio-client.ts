import {
  encodeBase64,
  isKycError,
  KycInvalidProviderResponseError,
  KycProviderUnavailableError,
} from '@openkyc/core'
import {
  createHttpClient,
  createRateLimiter,
  type HttpClient,
  type HttpRequestOptions,
  raceAbort,
} from '@openkyc/core/http'
import type { z } from 'zod'
import {
  type JumioAccountResponse,
  type JumioDetailsResponse,
  type JumioStatusResponse,
  jumioAccountResponseSchema,
  jumioDetailsResponseSchema,
  jumioStatusResponseSchema,
  jumioTokenResponseSchema,
  jumioUploadResponseSchema,
} from './jumio-schemas.js'
import type { ResolvedJumioSettings } from './jumio-settings.js'
import { createJumioTokenCache, type JumioTokenCache } from './jumio-token-cache.js'
import { mapJumioError } from './map-jumio-error.js'
import { jumioProvider } from './map-jumio-verification.js'

/** Names one workflow execution at Jumio. */
export type JumioExecutionReference = { accountId: string; workflowExecutionId: string }

/** The body of account create/update (G23 "Account Creation" request table). Sent as given. */
export type JumioAccountRequest = {
  customerInternalReference: string
  workflowDefinition: {
    key: number | string
    credentials?: Record<string, unknown>[]
    capabilities?: Record<string, unknown>
  }
  userReference?: string
  reportingCriteria?: string
  callbackUrl?: string
  tokenLifetime?: string
  web?: { successUrl?: string; errorUrl?: string; locale?: string }
  userConsent?: {
    userIp?: string
    userLocation?: { country?: string; state?: string }
    consent?: { obtained?: 'yes' | 'no' | 'na'; obtainedAt?: string }
  }
}

/**
 * Jumio's REST API, one method per documented call, every call through the shared HTTP policy of
 * `@openkyc/core/http` (timeouts, retries, error mapping, redacted logging). Tenant calls carry the
 * cached OAuth2 token and are retried once with a fresh token on 401; upload and finalize carry the
 * per-transaction token from the account response instead.
 */
export type JumioClient = {
  readonly tokens: JumioTokenCache
  createAccount(body: JumioAccountRequest, signal?: AbortSignal): Promise<JumioAccountResponse>
  updateAccount(
    accountId: string,
    body: JumioAccountRequest,
    signal?: AbortSignal,
  ): Promise<JumioAccountResponse>
  getDetails(reference: JumioExecutionReference, signal?: AbortSignal): Promise<JumioDetailsResponse>
  getStatus(reference: JumioExecutionReference, signal?: AbortSignal): Promise<JumioStatusResponse>
  deleteWorkflowExecution(reference: JumioExecutionReference, signal?: AbortSignal): Promise<void>
  deleteAccount(accountId: string, signal?: AbortSignal): Promise<void>
  /** Uploads one part to the URL Jumio gave for it; returns the (possibly renewed) transaction token. */
  uploadPart(options: {
    url: string
    token: string
    body: FormData | string
    json?: boolean
    signal?: AbortSignal
  }): Promise<string | undefined>
  /** Finalizes an API-channel execution (`PUT api.workflowExecution`). */
  finalize(options: { url: string; token: string; signal?: AbortSignal }): Promise<void>
}

/** A 5xx, reset or timeout, whichever copy of core threw it. */
function isUnavailable(error: unknown): error is KycProviderUnavailableError {
  return isKycError(error) && error.code === 'provider_unavailable'
}

const executionPath = 'api/v1/accounts/{accountId}/workflow-executions/{workflowExecutionId}'

/** Part and finalize URLs as path templates, so error messages and logs name no identifier. */
const transactionUrlPattern =
  /^\/api\/v1\/accounts\/([^/]+)\/workflow-executions\/([^/]+)(?:\/credentials\/([^/]+)\/parts\/([^/]+))?\/?$/

function transactionPath(pathname: string): Pick<HttpRequestOptions, 'path' | 'pathParams'> {
  const found = transactionUrlPattern.exec(pathname)
  if (found === null) return { path: pathname }
  const [, accountId, workflowExecutionId, credentialId, classifier] = found.map((part) =>
    part === undefined ? undefined : decodeURIComponent(part),
  )
  if (credentialId === undefined || classifier === undefined) {
    return {
      path: executionPath,
      pathParams: { accountId: accountId!, workflowExecutionId: workflowExecutionId! },
    }
  }
  return {
    path: `${executionPath}/credentials/{credentialId}/parts/{classifier}`,
    pathParams: {
      accountId: accountId!,
      workflowExecutionId: workflowExecutionId!,
      credentialId,
      classifier,
    },
  }
}

/**
 * Creates the Jumio REST client for one tenant: one HTTP client per Jumio host (they differ per
 * region), one token cache shared by all of them.
 *
 * @example
 * ```ts
 * const client = createJumioClient(resolveJumioSettings({ region: 'emea-1', userAgent: 'Acme App/1.0' }))
 * const details = await client.getDetails({ accountId, workflowExecutionId }, signal)
 * ```
 */
export function createJumioClient(settings: ResolvedJumioSettings): JumioClient {
  const common = {
    provider: jumioProvider,
    mapError: mapJumioError,
    headers: { 'user-agent': settings.userAgent },
    now: settings.now,
    ...(settings.fetch === undefined ? {} : { fetch: settings.fetch }),
    ...(settings.sleep === undefined ? {} : { sleep: settings.sleep }),
    ...(settings.logger === undefined ? {} : { logger: settings.logger }),
    ...(settings.timeoutMs === undefined ? {} : { timeoutMs: settings.timeoutMs }),
    ...(settings.retries === undefined ? {} : { retry: { limit: settings.retries } }),
  }
  const auth = createHttpClient({ ...common, baseUrl: settings.baseUrls.auth })
  const account = createHttpClient({
    ...common,
    baseUrl: settings.baseUrls.account,
    // On the real clock: the limit protects the tenant's real quota, whatever clock `now` tells.
    ...(settings.transactionRateLimit === false
      ? {}
      : {
          rateLimit:
            'acquire' in settings.transactionRateLimit
              ? settings.transactionRateLimit
              : createRateLimiter(settings.transactionRateLimit),
        }),
  })
  const retrieval = createHttpClient({ ...common, baseUrl: settings.baseUrls.retrieval })
  const transactionClients = new Map<string, HttpClient>()
  const transactionClient = (origin: string): HttpClient => {
    let client = transactionClients.get(origin)
    if (client === undefined) {
      client = createHttpClient({ ...common, baseUrl: origin })
      transactionClients.set(origin, client)
    }
    return client
  }

  const repeats = settings.retries ?? 2
  const sleep =
    settings.sleep ??
    ((ms: number, signal?: AbortSignal) =>
      raceAbort(new Promise<void>((resolve) => setTimeout(resolve, ms)), signal))
  /**
   * Repeats a POST that Jumio documents as safe to repeat, after a 5xx, a reset or a timeout. Core's
   * policy never repeats a POST without an idempotency key (Jumio has none) and has no per-request
   * override, so this is the one hand-written loop; 429 is already retried inside `request`.
   */
  async function repeatSafePost<Result>(send: () => Promise<Result>, signal?: AbortSignal): Promise<Result> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send()
      } catch (error) {
        if (!isUnavailable(error) || attempt > repeats) throw error
        await sleep(Math.floor(Math.random() * Math.min(30_000, 250 * 2 ** (attempt - 1))), signal)
        signal?.throwIfAborted()
      }
    }
  }

  const basic = encodeBase64(`${settings.clientId}:${settings.clientSecret}`)
  const tokens = createJumioTokenCache({
    now: settings.now,
    // Client credentials: a repeated request only mints another token (DOC Authorization), so safe to repeat.
    requestToken: async () => {
      const response = await repeatSafePost(() =>
        auth.request({
          method: 'POST',
          path: 'oauth2/token',
          headers: { authorization: `Basic ${basic}` },
          body: new URLSearchParams({ grant_type: 'client_credentials' }),
          schema: jumioTokenResponseSchema,
        }),
      )
      return { accessToken: response.access_token, expiresInSeconds: response.expires_in }
    },
  })

  /** A tenant call: the cached token, and one transparent retry with a fresh token on 401. */
  async function withToken<Schema extends z.ZodType>(
    client: HttpClient,
    options: HttpRequestOptions & { schema: Schema },
  ): Promise<z.output<Schema>>
  async function withToken(
    client: HttpClient,
    options: HttpRequestOptions & { responseType: 'none' },
  ): Promise<void>
  async function withToken(client: HttpClient, options: HttpRequestOptions): Promise<unknown> {
    const send = async (token: string) =>
      client.request({ ...options, headers: { ...options.headers, authorization: `Bearer ${token}` } })
    const token = await tokens.get(options.signal)
    try {
      return await send(token)
    } catch (error) {
      if (!isKycError(error) || error.status !== 401) throw error
      tokens.invalidate(token)
      return send(await tokens.get(options.signal))
    }
  }

  const transactionCall = (url: string) => {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch (cause) {
      throw new KycInvalidProviderResponseError({
        provider: jumioProvider,
        message: 'Jumio returned an upload or finalize URL that is not a URL.',
        cause,
      })
    }
    return { client: transactionClient(parsed.origin), ...transactionPath(parsed.pathname) }
  }

  return {
    tokens,
    async createAccount(body, signal) {
      try {
        return await withToken(account, {
          method: 'POST',
          path: 'api/v1/accounts',
          json: body,
          schema: jumioAccountResponseSchema,
          ...(signal === undefined ? {} : { signal }),
        })
      } catch (error) {
        // No response at all (timeout, reset): Jumio may have created the account. It has no
        // idempotency key and no documented lookup, so say so instead of pretending nothing happened.
        if (!isUnavailable(error) || error.status !== undefined) throw error
        throw new KycProviderUnavailableError({
          provider: jumioProvider,
          message:
            'Jumio POST api/v1/accounts got no response (timeout or connection reset): the outcome is unknown, an account may have been created. Retrying is safe for the applicant but may leave an unused account at Jumio.',
          cause: error,
        })
      }
    },
    updateAccount: (accountId, body, signal) =>
      withToken(account, {
        method: 'PUT',
        path: 'api/v1/accounts/{accountId}',
        pathParams: { accountId },
        json: body,
        schema: jumioAccountResponseSchema,
        ...(signal === undefined ? {} : { signal }),
      }),
    getDetails: (reference, signal) =>
      withToken(retrieval, {
        path: executionPath,
        pathParams: reference,
        schema: jumioDetailsResponseSchema,
        ...(signal === undefined ? {} : { signal }),
      }),
    getStatus: (reference, signal) =>
      withToken(retrieval, {
        path: `${executionPath}/status`,
        pathParams: reference,
        schema: jumioStatusResponseSchema,
        ...(signal === undefined ? {} : { signal }),
      }),
    deleteWorkflowExecution: (reference, signal) =>
      withToken(retrieval, {
        method: 'DELETE',
        path: executionPath,
        pathParams: reference,
        responseType: 'none',
        ...(signal === undefined ? {} : { signal }),
      }),
    deleteAccount: (accountId, signal) =>
      withToken(retrieval, {
        method: 'DELETE',
        path: 'api/v1/accounts/{accountId}',
        pathParams: { accountId },
        responseType: 'none',
        ...(signal === undefined ? {} : { signal }),
      }),
    async uploadPart({ url, token, body, json, signal }) {
      const { client, path, pathParams } = transactionCall(url)
      const send = (method: 'POST' | 'PUT') =>
        client.request({
          method,
          path,
          ...(pathParams === undefined ? {} : { pathParams }),
          headers: {
            authorization: `Bearer ${token}`,
            ...(json === true ? { 'content-type': 'application/json' } : {}),
          },
          body,
          schema: jumioUploadResponseSchema.nullish(),
          ...(signal === undefined ? {} : { signal }),
        })
      let response: z.output<typeof jumioUploadResponseSchema> | null | undefined
      try {
        response = await send('POST')
      } catch (error) {
        if (!isUnavailable(error)) throw error
        // The first upload may or may not have landed. `PUT` on the part URL is Jumio's documented
        // "update/replace part" (Credentials API), so it is the safe repeat (and core retries PUT
        // itself); 404 from it means there was nothing to replace, so the part is sent as new.
        try {
          response = await send('PUT')
        } catch (replaceError) {
          if (!isKycError(replaceError) || replaceError.code !== 'not_found') throw replaceError
          response = await send('POST')
        }
      }
      return response?.api?.token ?? undefined
    },
    async finalize({ url, token, signal }) {
      const { client, path, pathParams } = transactionCall(url)
      await client.request({
        method: 'PUT',
        path,
        ...(pathParams === undefined ? {} : { pathParams }),
        headers: { authorization: `Bearer ${token}` },
        responseType: 'none',
        ...(signal === undefined ? {} : { signal }),
      })
    },
  }
}
