import { describe, expect, it } from 'vitest'
import { runNestedSuites, stateIn } from './nested-suite.js'

// The honest declarations pass the whole suite in acme.conformance.test.ts (body-signed Acme) and
// acme-lite.conformance.test.ts (derived checks, webhook-only verdicts, a two-request read). Here each
// declaration lies, in test/fixtures/lying-declarations.conformance.ts, and the suite must say so.
describe('the conformance suite holds drivers to their declarations', { timeout: 240_000 }, () => {
  it('fails each lie exactly where it matters', async () => {
    const outcomes = await runNestedSuites(['test/fixtures/lying-declarations.conformance.ts'])
    const state = (name: string, id: string) => stateIn(outcomes, name, id)

    // Declared timestamped, signs the body only: the "stale" copy is accepted.
    const timestamped = 'acme claiming a timestamped signature'
    expect(state(timestamped, 'webhook.forged.stale-timestamp')).toBe('fail')
    for (const id of ['webhook.forged.bad-signature', 'webhook.forged.unknown-secret', 'webhook.replayed'])
      expect(state(timestamped, id), id).toBe('pass')

    // Declared reported checks, derives them: the expected check kinds are missing.
    const reported = 'acme lite claiming reported checks'
    for (const id of [
      'scenario.face_mismatch.read',
      'scenario.face_mismatch.webhook',
      'scenario.clean_approve.read',
    ])
      expect(state(reported, id), id).toBe('fail')
    expect(state(reported, 'scenario.applicant_abandons.read')).toBe('pass')

    // Declared derived checks, reports them: every reported check contradicts the declaration.
    const derived = 'acme claiming derived checks'
    for (const id of ['scenario.face_mismatch.read', 'scenario.clean_approve.webhook'])
      expect(state(derived, id), id).toBe('fail')

    // Declared readable manual verdicts, shows them only by webhook: the .read test runs and fails.
    const manual = 'acme lite claiming readable manual verdicts'
    expect(state(manual, 'scenario.manual_review_then_approve.read')).toBe('fail')
    expect(state(manual, 'scenario.manual_review_then_approve.webhook')).toBe('pass')

    // Body-only signatures leave replays to dedupe: ids made at receipt let a replay through. Only
    // webhook.replayed sees it; webhook.duplicate counts state changes, which the forward-only rule
    // already keeps at one.
    const unstableIds = 'acme lite with event ids made at receipt'
    expect(state(unstableIds, 'webhook.replayed')).toBe('fail')
    expect(state(unstableIds, 'webhook.duplicate')).toBe('pass')
    expect(state(unstableIds, 'webhook.forged.bad-signature')).toBe('pass')

    // A two-request read that sends one request too many after a 429 fails the relative count.
    const overRetry = 'acme lite retrying a 429 twice'
    expect(state(overRetry, 'errors.rate-limited-once')).toBe('fail')
    expect(state(overRetry, 'errors.authentication')).toBe('pass')
  })
})
