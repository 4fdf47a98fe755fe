import { trace } from '@opentelemetry/api'
import { expect, it } from 'vitest'
import { createKyc } from '../src/client.js'
import { createHttpClient } from '../src/http/index.js'
import { createMockAdapter, createMockVerification } from '../src/test/index.js'
import { jsonResponse, scriptedFetch } from './http/helpers.js'

// No OpenTelemetry SDK is registered in this file: the API answers with no-op spans and meters.
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
