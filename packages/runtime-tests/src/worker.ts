import { handleRuntimeRequest } from './runtime-app.js'

/** The runtime app as a Cloudflare Workers module worker (run by workerd without `nodejs_compat`). */
export default {
  fetch: (request: Request): Promise<Response> => handleRuntimeRequest(request),
}
