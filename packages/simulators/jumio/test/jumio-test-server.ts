import type { SimulatorServer } from '@openkyc/testkit/harness'
import {
  createJumioEvidenceImage,
  createJumioSimulator,
  type JumioSimulator,
  type JumioSimulatorOptions,
  jumioSimulatorClient,
} from '../src/index.js'

/**
 * A Jumio simulator listening on a real loopback port, with a small client that speaks to it the way
 * an integration would: OAuth2 first, then account, upload, finalize and retrieval calls, all over HTTP.
 */
export type JumioTestServer = {
  jumio: JumioSimulator
  server: SimulatorServer
  url: string
  /** A fresh OAuth2 access token. */
  accessToken(): Promise<string>
  /** A request with the headers Jumio requires (User-Agent, Accept, Authorization). */
  call(
    method: string,
    path: string,
    options?: { token?: string | null; json?: unknown; body?: BodyInit; headers?: Record<string, string> },
  ): Promise<Response>
  /** Creates an account (POST) or updates one (PUT when `accountId` is given); returns status and body. */
  initiate(
    body: Record<string, unknown>,
    accountId?: string,
  ): Promise<{ status: number; body: AccountResponseBody }>
  close(): Promise<void>
}

/** The fields of the account response the tests read. */
export type AccountResponseBody = {
  timestamp: string
  account: { id: string }
  web?: { href: string; successUrl?: string; errorUrl?: string }
  sdk?: { token: string }
  workflowExecution: {
    id: string
    credentials: {
      id: string
      category: string
      allowedChannels: string[]
      api?: { token: string; parts: Record<string, string>; workflowExecution: string }
    }[]
  }
}

export const userAgent = 'OpenKYC Testkit/1.0'

/** A consent block that passes every rule (obtained an hour before the clock's start). */
export function freshConsent(now: number): Record<string, unknown> {
  return {
    userIp: '203.0.113.5',
    userLocation: { country: 'USA', state: 'IL' },
    consent: { obtained: 'yes', obtainedAt: new Date(now - 3_600_000).toISOString() },
  }
}

/** A valid request for a workflow key. */
export function accountRequest(
  key: number,
  now: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    customerInternalReference: `txn-${key}`,
    userReference: 'user-42',
    callbackUrl: 'https://example.com/jumio/callback',
    workflowDefinition: { key },
    userConsent: freshConsent(now),
    ...extra,
  }
}

/** Starts a simulator on 127.0.0.1:0. */
export async function startJumio(options: JumioSimulatorOptions = {}): Promise<JumioTestServer> {
  const jumio = createJumioSimulator({ clock: undefined, ...options })
  const server = await jumio.listen({ port: 0 })
  const url = server.url
  const accessToken = async (): Promise<string> => {
    const response = await fetch(`${url}/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${jumioSimulatorClient.id}:${jumioSimulatorClient.secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        'user-agent': userAgent,
      },
      body: 'grant_type=client_credentials',
    })
    if (response.status !== 200) throw new Error(`token request failed with ${response.status}`)
    return ((await response.json()) as { access_token: string }).access_token
  }
  let cached: string | undefined
  let closed = false
  const call: JumioTestServer['call'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': userAgent,
      ...options.headers,
    }
    if (options.token === undefined) {
      cached ??= await accessToken()
      headers.authorization = `Bearer ${cached}`
    } else if (options.token !== null) {
      headers.authorization = `Bearer ${options.token}`
    }
    let body = options.body
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(options.json)
    }
    const target = path.startsWith('http') ? path : `${url}${path}`
    return fetch(target, { method, headers, ...(body === undefined ? {} : { body }) })
  }
  return {
    jumio,
    server,
    url,
    accessToken,
    call,
    async initiate(body, accountId) {
      const response = await call(
        accountId === undefined ? 'POST' : 'PUT',
        `/api/v1/accounts${accountId ? `/${accountId}` : ''}`,
        {
          json: body,
        },
      )
      return { status: response.status, body: (await response.json()) as AccountResponseBody }
    },
    async close() {
      if (closed) return
      closed = true
      jumio.shutdown()
      await server.close()
    },
  }
}

/** A multipart body with one `file` field. */
export function fileForm(bytes: Uint8Array, name = 'front.jpg', type = 'image/jpeg'): FormData {
  const form = new FormData()
  form.set('file', new Blob([new Uint8Array(bytes)], { type }), name)
  return form
}

/** A document image that passes every check. */
export const documentImage = (text?: string): Uint8Array =>
  createJumioEvidenceImage({ ...(text === undefined ? {} : { text }), width: 640, height: 400 })

/** A selfie that passes every check. */
export const selfieImage = (text?: string): Uint8Array =>
  createJumioEvidenceImage({ ...(text === undefined ? {} : { text }), width: 480, height: 640 })

/** Uploads a part with the transaction token. */
export async function uploadPart(
  test: JumioTestServer,
  partUrl: string,
  token: string,
  bytes: Uint8Array,
): Promise<Response> {
  return test.call('POST', partUrl, { token, body: fileForm(bytes) })
}
