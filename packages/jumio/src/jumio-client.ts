import { isKycError, KycInvalidProviderResponseError } from '@openkyc/core'
import {
  createHttpClient,
  createRateLimiter,
  type HttpClient,
  type HttpRequestOptions,
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

  const basic = Buffer.from(`${settings.clientId}:${settings.clientSecret}`, 'utf8').toString('base64')
  const tokens = createJumioTokenCache({
    now: settings.now,
    requestToken: async () => {
      const response = await auth.request({
        method: 'POST',
        path: 'oauth2/token',
        headers: { authorization: `Basic ${basic}` },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
        schema: jumioTokenResponseSchema,
      })
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
    createAccount: (body, signal) =>
      withToken(account, {
        method: 'POST',
        path: 'api/v1/accounts',
        json: body,
        schema: jumioAccountResponseSchema,
        ...(signal === undefined ? {} : { signal }),
      }),
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
      const response = await client.request({
        method: 'POST',
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
