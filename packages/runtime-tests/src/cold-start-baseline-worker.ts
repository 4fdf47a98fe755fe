import * as tsPattern from 'ts-pattern'
import * as zod from 'zod'

/** The workerd cold-start baseline: a Worker that imports zod and ts-pattern (core's dependencies) whole. */
export default {
  fetch: (): Response => new Response(String(Object.keys(zod).length + Object.keys(tsPattern).length)),
}
