// server.ts, run with `bun run server.ts` (Bun serves the default export; settings from PERSONA_* variables).
import { createKyc, toWebhookResponse } from '@openkyc/core'
import { createPersona } from '@openkyc/persona'

const kyc = createKyc({ adapters: { persona: () => createPersona() } })

export default {
  port: 3000,
  async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname !== '/webhooks/kyc') return new Response('Not found', { status: 404 })
    try {
      return toWebhookResponse(await kyc.webhooks.handle(request, { signal: request.signal }))
    } catch (error) {
      return toWebhookResponse(error)
    }
  },
}
