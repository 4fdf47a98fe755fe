// app/api/webhooks/kyc/route.ts: the same handler on the Node.js or the Edge runtime of Next.js.
import { createKyc, toWebhookResponse } from '@openkyc/core'
import { createPersona } from '@openkyc/persona'

export const runtime = 'edge' // or 'nodejs': the library is the same on both

const kyc = createKyc({ adapters: { persona: () => createPersona() } })

export async function POST(request: Request): Promise<Response> {
  try {
    const outcome = await kyc.webhooks.handle(request, {
      signal: request.signal,
      onEvent({ verification, changed }) {
        if (changed && verification?.status === 'completed') {
          console.log(`verification ${verification.id}: ${verification.decision?.outcome}`)
        }
      },
    })
    return toWebhookResponse(outcome)
  } catch (error) {
    return toWebhookResponse(error)
  }
}
