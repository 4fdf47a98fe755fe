// src/index.ts of a Cloudflare Worker (no nodejs_compat needed): settings come from the Worker's env.
import { createKyc, toWebhookResponse } from '@openkyc/core'
import { createPersona } from '@openkyc/persona'

type Env = { PERSONA_API_KEY: string; PERSONA_TEMPLATE_ID: string; PERSONA_WEBHOOK_SECRET: string }

let kyc: ReturnType<typeof createClient> | undefined
const createClient = (env: Env) => createKyc({ adapters: { persona: () => createPersona({ env }) }, env })

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    kyc ??= createClient(env) // once per isolate; give it a durable store in production
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
