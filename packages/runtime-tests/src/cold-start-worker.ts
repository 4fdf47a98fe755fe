import * as core from '@openkyc/core'
import * as persona from '@openkyc/persona'

/**
 * Cold start on workerd: a Worker that imports `@openkyc/core` and `@openkyc/persona`, as a webhook
 * endpoint does. Every export is referenced, so the bundle keeps (and workerd evaluates) all of it.
 */
export default {
  fetch: (): Response => new Response(String(Object.keys(core).length + Object.keys(persona).length)),
}
