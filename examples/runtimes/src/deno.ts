// main.ts, run with `deno serve --allow-net --allow-env main.ts` (settings from PERSONA_* variables).
import { createKyc, toWebhookResponse } from '@openkyc/core'
import { createPersona } from '@openkyc/persona'

const kyc = createKyc({ adapters: { persona: () => createPersona() } })

export default {
  async fetch(request: Request): Promise<Response> {
    try {
      const outcome = await kyc.webhooks.handle(request, { signal: request.signal })
      for (const { verification, changed } of outcome.events) {
        if (changed && verification) console.log(`verification ${verification.id} is ${verification.status}`)
      }
      return toWebhookResponse(outcome)
    } catch (error) {
      return toWebhookResponse(error)
    }
  },
}
