import { ProxyTracer, trace } from '@opentelemetry/api'
import { afterEach, expect, it, vi } from 'vitest'
import { createKyc } from '../src/client.js'
import { createHttpClient } from '../src/http/index.js'
import { createMockAdapter, createMockVerification } from '../src/test/index.js'
import { jsonResponse, scriptedFetch } from './http/helpers.js'
import { installTelemetry } from './telemetry-support.js'

afterEach(() => {
  vi.restoreAllMocks()
})

// No OpenTelemetry SDK is registered in this file until its last test: until then the API answers
// with no-op spans and meters.
it('works unchanged and records nothing when the application installs no OpenTelemetry SDK', async () => {
  const server = scriptedFetch([jsonResponse(200, { id: 'inq_1' })])
  const http = createHttpClient({ provider: 'acme', baseUrl: 'https://api.acme.test/', fetch: server.fetch })
  const seen: (boolean | undefined)[] = []
  const verification = createMockVerification()
  const kyc = createKyc({
    adapters: {
      acme: createMockAdapter({
        provider: 'acme',
        results: {
          getVerification: async () => {
            seen.push(trace.getActiveSpan()?.isRecording())
            await http.request({ path: 'inquiries/{id}', pathParams: { id: 'inq_1' } })
            return verification
          },
        },
      }),
    },
    env: {},
  })
  await expect(kyc.getVerification({ reference: verification.reference })).resolves.toEqual(verification)
  expect(seen).toEqual([undefined])
  expect(server.requests).toHaveLength(1)
})

it('starts no span at all while no tracer provider is registered (no tracer work per call)', async () => {
  const startActiveSpan = vi.spyOn(ProxyTracer.prototype, 'startActiveSpan')
  const server = scriptedFetch([jsonResponse(200, { id: 'inq_1' }), jsonResponse(503, {})])
  const http = createHttpClient({
    provider: 'acme',
    baseUrl: 'https://api.acme.test/',
    fetch: server.fetch,
    retry: false,
  })
  await expect(http.request({ path: 'inquiries' })).resolves.toEqual({ id: 'inq_1' })
  await expect(http.request({ path: 'inquiries' })).rejects.toMatchObject({ code: 'provider_unavailable' })
  expect(server.requests).toHaveLength(2)
  expect(startActiveSpan).not.toHaveBeenCalled()
})

it('calls the adapter straight through while untraced: its promise, its rejection, and a synchronous throw as a rejection', async () => {
  const verification = createMockVerification()
  const refusal = new Error('refused')
  const mock = createMockAdapter({ provider: 'acme', results: { getVerification: async () => verification } })
  let calls = 0
  const kyc = createKyc({
    adapters: {
      acme: {
        ...mock,
        getVerification: (options) => mock.getVerification(options),
        createVerification: () => {
          calls += 1
          throw refusal
        },
      },
    },
    env: {},
  })
  // The first call loads the OpenTelemetry API; the rest take the straight-through path.
  for (let round = 0; round < 3; round += 1) {
    await expect(kyc.getVerification({ reference: verification.reference })).resolves.toEqual(verification)
    const created = kyc.createVerification({ subjectReference: 'user_1' })
    expect(created).toBeInstanceOf(Promise)
    await expect(created).rejects.toBe(refusal)
  }
  expect(calls).toBe(3)
  expect(trace.getActiveSpan()).toBeUndefined()
})

// Last: it registers an SDK for the rest of this file.
it('traces every call from the moment an application registers a tracer provider', async () => {
  const server = scriptedFetch([jsonResponse(200, { id: 'inq_1' })])
  const http = createHttpClient({ provider: 'acme', baseUrl: 'https://api.acme.test/', fetch: server.fetch })
  await http.request({ path: 'inquiries' })
  const telemetry = installTelemetry()
  await http.request({ path: 'inquiries/{id}', pathParams: { id: 'inq_1' } })
  expect(telemetry.spans.getFinishedSpans().map((span) => span.name)).toEqual(['GET inquiries/{id}'])
})
