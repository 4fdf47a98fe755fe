import * as core from '@openkyc/core'
import * as onfido from '@openkyc/onfido'

/** {@link ./cold-start-worker.ts}, with the Onfido adapter. */
export default {
  fetch: (): Response => new Response(String(Object.keys(core).length + Object.keys(onfido).length)),
}
