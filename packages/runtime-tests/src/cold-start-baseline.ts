/**
 * The cold-start baseline, measured the same way in the same run: importing zod and ts-pattern, the
 * dependencies every import of core loads (the floor no code of ours can go below).
 */
const startedAt = performance.now()
await Promise.all([import('zod'), import('ts-pattern')])
console.log(JSON.stringify({ coldStartMs: performance.now() - startedAt }))
