import { fileURLToPath } from 'node:url'
import type { RunnerTestCase, RunnerTestSuite } from 'vitest'
import { describe, expect, it } from 'vitest'
import { startVitest } from 'vitest/node'

type Outcome = { title: string; state: string | undefined }

function collect(
  tasks: readonly (RunnerTestCase | RunnerTestSuite)[] | undefined,
  into: Outcome[] = [],
): Outcome[] {
  for (const task of tasks ?? []) {
    if (task.type === 'suite') collect(task.tasks as (RunnerTestCase | RunnerTestSuite)[], into)
    else into.push({ title: task.name, state: task.result?.state ?? task.mode })
  }
  return into
}

/** Runs the conformance suite against a deliberately broken adapter, in a nested Vitest. */
async function runBrokenSuite(): Promise<Outcome[]> {
  const exitCode = process.exitCode
  const vitest = await startVitest('test', [], {
    root: fileURLToPath(new URL('..', import.meta.url)),
    config: false,
    include: ['test/fixtures/broken-acme.conformance.ts'],
    watch: false,
    reporters: [{}],
  })
  process.exitCode = exitCode
  return vitest.state
    .getFiles()
    .flatMap((file) => collect(file.tasks as (RunnerTestCase | RunnerTestSuite)[]))
}

describe('the conformance suite', () => {
  it('fails an adapter that approves declines and accepts unsigned webhooks', {
    timeout: 120_000,
  }, async () => {
    const outcomes = await runBrokenSuite()
    const stateOf = (id: string) => outcomes.find((outcome) => outcome.title.endsWith(`[${id}]`))?.state
    expect(outcomes.length).toBeGreaterThan(40)

    // Declines reported as approvals: every declined scenario fails, read back and through webhooks.
    for (const scenario of ['expired_document', 'tampered_document', 'face_mismatch', 'underage']) {
      expect(stateOf(`scenario.${scenario}.read`), scenario).toBe('fail')
      expect(stateOf(`scenario.${scenario}.webhook`), scenario).toBe('fail')
    }
    // Signatures not checked: every forgery is accepted, so every forgery test fails.
    for (const forgery of ['bad-signature', 'tampered-body', 'stale-timestamp', 'unknown-secret']) {
      expect(stateOf(`webhook.forged.${forgery}`), forgery).toBe('fail')
    }
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
