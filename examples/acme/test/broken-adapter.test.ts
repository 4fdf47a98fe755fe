import { describe, expect, it } from 'vitest'
import { runNestedSuites, stateIn } from './nested-suite.js'

describe('the conformance suite', () => {
  it('fails an adapter that approves declines and accepts unsigned webhooks', {
    timeout: 120_000,
  }, async () => {
    const outcomes = await runNestedSuites(['test/fixtures/broken-acme.conformance.ts'])
    const stateOf = (id: string) => stateIn(outcomes, 'broken acme', id)
    expect(outcomes.length).toBeGreaterThan(40)

    // Declines reported as approvals: every declined scenario fails, read back and through webhooks.
    for (const scenario of ['expired_document', 'tampered_document', 'face_mismatch', 'underage']) {
      expect(stateOf(`scenario.${scenario}.read`), scenario).toBe('fail')
      expect(stateOf(`scenario.${scenario}.webhook`), scenario).toBe('fail')
    }
    // Signatures not checked: every forgery is accepted, so every forgery test that fits Acme's
    // body-only scheme fails; the one that does not fit (no timestamp to make stale) is skipped.
    for (const forgery of ['bad-signature', 'tampered-body', 'unknown-secret']) {
      expect(stateOf(`webhook.forged.${forgery}`), forgery).toBe('fail')
    }
    expect(stateOf('webhook.forged.stale-timestamp')).toBe('skip')
    // What the broken copy still does right keeps passing: the suite pinpoints, it does not just go red.
    for (const id of [
      'scenario.clean_approve.read',
      'scenario.watchlist_hit.webhook',
      'errors.authentication',
      'webhook.duplicate',
    ]) {
      expect(stateOf(id), id).toBe('pass')
    }
  })
})
