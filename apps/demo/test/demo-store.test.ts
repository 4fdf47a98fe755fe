import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createKyc, type KycEvent, type Verification } from '@openkyc/core'
import { createMockAdapter } from '@openkyc/core/test'
import { afterEach, describe, expect, it } from 'vitest'
import { readAuditTimelines } from '../src/audit-timeline.js'
import { type DemoStore, openDemoStore } from '../src/demo-store.js'

const directories: string[] = []
const opened: DemoStore[] = []
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close()
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true })
})

function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'openkyc-demo-store-'))
  directories.push(directory)
  return directory
}

async function open(dataDirectory: string | undefined, reset = false): Promise<DemoStore> {
  const store = await openDemoStore({ dataDirectory, reset })
  opened.push(store)
  return store
}

const webhookSecret = 'whsec_demo_store_test'
const verification: Verification = {
  id: 'inq_restart',
  provider: 'mock',
  reference: { verificationId: 'inq_restart' },
  status: 'submitted',
  checks: [],
  credentials: [],
  createdAt: '2025-06-01T08:00:00.000Z',
  updatedAt: '2025-06-01T08:05:00.000Z',
  raw: { status: 'submitted' },
}

/** One signed delivery through a client on `demoStore`, as the demo's webhook route does it. */
async function deliver(demoStore: DemoStore, eventId: string, state: Verification) {
  const adapter = createMockAdapter({ webhookSecret })
  const kyc = createKyc({ adapters: { mock: adapter }, store: demoStore.store, env: {} })
  const event: KycEvent = {
    id: eventId,
    provider: 'mock',
    type: state.status === 'completed' ? 'verification.completed' : 'verification.submitted',
    occurredAt: state.updatedAt,
    verification: state,
    raw: { type: 'test' },
  }
  return kyc.webhooks.handle(adapter.createWebhookDelivery([event]))
}

describe('the demo store', () => {
  it('keeps the inbox, states and audit timeline in PGlite across a restart', async () => {
    const directory = join(temporaryDirectory(), 'data')
    const first = await open(directory)
    expect(first.description).toContain(directory)
    expect((await deliver(first, 'evt_1', verification)).events).toHaveLength(1)
    await first.close()
    opened.splice(opened.indexOf(first), 1)

    const second = await open(directory)
    // The event is remembered: its redelivery after the restart is a duplicate.
    expect((await deliver(second, 'evt_1', verification)).duplicates).toEqual(['evt_1'])
    const completed: Verification = {
      ...verification,
      status: 'completed',
      decision: { outcome: 'approved', reasons: [], decidedBy: 'provider', raw: { status: 'approved' } },
      updatedAt: '2025-06-01T08:10:00.000Z',
      raw: { status: 'approved' },
    }
    const after = await deliver(second, 'evt_2', completed)
    expect(after.events[0]).toMatchObject({ changed: true, previous: { status: 'submitted' } })
    const timelines = await readAuditTimelines(second.store.audit)
    expect(timelines.chain).toEqual({ valid: true, count: 2 })
    expect(timelines.verifications).toHaveLength(1)
    expect(timelines.verifications[0]?.entries.map((entry) => [entry.eventId, entry.to?.status])).toEqual([
      ['evt_1', 'submitted'],
      ['evt_2', 'completed'],
    ])
  })

  it('wipes the data directory with reset', async () => {
    const directory = join(temporaryDirectory(), 'data')
    const first = await open(directory)
    await deliver(first, 'evt_1', verification)
    await first.close()
    opened.splice(opened.indexOf(first), 1)
    const reset = await open(directory, true)
    expect((await readAuditTimelines(reset.store.audit)).chain.count).toBe(0)
    expect((await deliver(reset, 'evt_1', verification)).events).toHaveLength(1)
  })

  it('refuses a non-empty directory that holds no PGlite database, and changes nothing in it', async () => {
    const directory = temporaryDirectory()
    writeFileSync(join(directory, 'notes.txt'), 'keep me')
    await expect(openDemoStore({ dataDirectory: directory, reset: true })).rejects.toThrow(
      /is not empty and holds no PGlite database/,
    )
    expect(readFileSync(join(directory, 'notes.txt'), 'utf8')).toBe('keep me')
  })

  it('keeps nothing with --memory', async () => {
    const memory = await open(undefined)
    expect(memory.description).toContain('in memory')
    expect((await deliver(memory, 'evt_1', verification)).events).toHaveLength(1)
  })
})
