import { createWebhookPipeline, type ProcessedWebhookEvent } from '@openkyc/core'
import { scenarios } from '@openkyc/testkit/catalogue'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createErasure,
  createReconciler,
  createRetention,
  type ErasureReceipt,
  erasureReceipt,
  type Jobs,
  openJobs,
  type ReconcileSummary,
  type RetentionSummary,
  requestErasure,
  scheduleReconciler,
  scheduleRetention,
  workErasures,
} from '../src/index.js'
import { freshSchema, testDatabases } from './databases.js'
import { createFor, onfidoPair, personaPair } from './providers.js'
import { useTestStores } from './stores.js'

const approve = scenarios.find((scenario) => scenario.id === 'clean_approve')!

describe.each(testDatabases())('the jobs on pg-boss, on $name', (target) => {
  const stores = useTestStores(target)
  const cleanups: (() => Promise<void> | void)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  async function open(): Promise<Jobs> {
    const jobs = await openJobs({ database: stores.database(), url: target.url, schema: freshSchema() })
    cleanups.push(() => jobs.stop({ timeoutMs: 1_000 }))
    return jobs
  }

  const output = async <T>(jobs: Jobs, queue: string, id: string) => {
    await expect
      .poll(async () => (await jobs.boss.getJobById(queue, id))?.state, { timeout: 60_000, interval: 250 })
      .toBe('completed')
    return (await jobs.boss.getJobById(queue, id))?.output as T
  }

  it('the reconciler and retention run on a cron schedule, one run at a time, their summaries as the jobs output', async () => {
    const store = await stores.open()
    const jobs = await open()
    const pair = personaPair({ webhooks: false })
    const verification = await createFor(pair.adapter, 'subject-scheduled', approve)
    const recorder = createWebhookPipeline({ adapter: pair.adapter, store })
    recorder.close()
    await recorder.applyVerification(verification)
    await pair.simulator.persona.resolve(String(verification.reference.inquiryId), approve.id, {
      applicant: approve.applicant,
    })

    const reconciler = await scheduleReconciler(
      jobs,
      createReconciler({ store, adapters: [pair.adapter], staleAfterMs: 0 }),
      { cron: '*/10 * * * *', pollingIntervalSeconds: 0.5 },
    )
    const retention = await scheduleRetention(
      jobs,
      createRetention({ store, adapters: [pair.adapter], rules: [{ name: 'all', afterMs: 0 }] }),
      { pollingIntervalSeconds: 0.5 },
    )
    cleanups.push(
      () => reconciler.stop({ unschedule: true }),
      () => retention.stop({ unschedule: true }),
    )
    const schedules = await jobs.boss.getSchedules()
    expect(schedules.map((schedule) => [schedule.name, schedule.cron]).sort()).toEqual([
      ['openkyc-reconcile', '*/10 * * * *'],
      ['openkyc-retention', '0 3 * * *'],
    ])

    const reconcileId = await reconciler.trigger()
    expect(reconcileId).toEqual(expect.any(String))
    const summary = await output<ReconcileSummary>(jobs, reconciler.queue, reconcileId!)
    expect(summary).toMatchObject({ stale: 1, moved: 1, changed: 1, failed: 0 })
    expect((await store.verifications.get({ provider: 'persona', id: verification.id }))?.status).toBe(
      'completed',
    )

    const retentionId = await retention.trigger()
    const deleted = await output<RetentionSummary>(jobs, retention.queue, retentionId!)
    expect(deleted).toMatchObject({ deleted: 1, failed: 0 })
  })

  it('an erasure job is retried until its receipt is complete; the receipt is its output and its id the audit rows', async () => {
    const store = await stores.open()
    const jobs = await open()
    const persona = personaPair({ webhooks: false, maxRetries: 0 })
    const onfido = onfidoPair({ maxRetries: 0 })
    cleanups.push(() => onfido.simulator.shutdown())
    for (const [adapter, verification] of [
      [persona.adapter, await createFor(persona.adapter, 'subject-job', approve)],
      [onfido.adapter, await createFor(onfido.adapter, 'subject-job', approve)],
    ] as const) {
      const recorder = createWebhookPipeline({ adapter, store })
      recorder.close()
      await recorder.applyVerification(verification)
    }
    const handled: ProcessedWebhookEvent[] = []
    const stop = await workErasures(
      jobs,
      createErasure({
        store,
        adapters: [persona.adapter, onfido.adapter],
        onEvent: (processed) => {
          handled.push(processed)
        },
      }),
      { pollingIntervalSeconds: 0.5 },
    )
    cleanups.push(stop)
    // Onfido is down for the first attempt.
    onfido.simulator.failNext({ status: 503, match: { method: 'DELETE' } })
    const id = await requestErasure(jobs, 'subject-job', { retryDelaySeconds: 1, retryBackoff: false })
    await expect.poll(() => erasureReceipt(jobs, id), { timeout: 60_000, interval: 250 }).toBeDefined()
    const receipt = (await erasureReceipt(jobs, id)) as ErasureReceipt
    expect(receipt.id).toBe(id)
    expect(receipt.complete).toBe(true)
    // The final attempt's receipt: our copies were redacted by the first one, Onfido deleted by the retry.
    expect(receipt.verifications.map((item) => [item.provider, item.vendor, item.local])).toEqual([
      ['onfido', 'deleted', 'already_redacted'],
      ['persona', 'already_deleted', 'already_redacted'],
    ])
    const job = await jobs.boss.getJobById('openkyc-erasure', id)
    expect(job?.retryCount).toBe(1)
    // One redaction each for the handler; the audit log has both attempts under the job's id.
    expect(handled.map((processed) => processed.event.type)).toEqual([
      'verification.redacted',
      'verification.redacted',
    ])
    const rows: string[] = []
    for await (const entry of store.audit.read()) {
      if (entry.eventId === `erasure:${id}`) rows.push(`${entry.provider}:${entry.eventType}`)
    }
    expect(rows.sort()).toEqual([
      'onfido:erasure.deleted',
      'onfido:erasure.failed',
      'persona:erasure.already_deleted',
      'persona:erasure.deleted',
    ])
  })
})
