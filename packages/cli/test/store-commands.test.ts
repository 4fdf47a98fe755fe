import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AuditEntrySchema, createKyc } from '@openkyc/core'
import { createMockAdapter, createMockVerification } from '@openkyc/core/test'
import { openDatabase, openPostgresStore } from '@openkyc/postgres'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { runBin } from './support/run-bin.js'

let dataDir: string
const eventTypes = {
  in_progress: 'verification.started',
  submitted: 'verification.submitted',
  completed: 'verification.completed',
} as const

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'openkyc-cli-'))
})
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true })
})

/** Fills a PGlite database as an application would: deliveries through createKyc's pipeline. */
async function fillStore(): Promise<void> {
  const store = await openPostgresStore({ dataDir })
  try {
    const mock = createMockAdapter({ provider: 'persona' })
    const kyc = createKyc({ adapters: { persona: mock }, store, env: {} })
    const states = [
      createMockVerification({ id: 'inq_one', provider: 'persona', status: 'in_progress' }),
      createMockVerification({
        id: 'inq_one',
        provider: 'persona',
        status: 'completed',
        decision: {
          outcome: 'declined',
          reasons: [{ code: 'document_expired', raw: 'expired' }],
          decidedBy: 'provider',
          raw: { status: 'declined' },
        },
      }),
      createMockVerification({ id: 'inq_two', provider: 'persona', status: 'submitted' }),
    ]
    let sequence = 0
    for (const verification of states) {
      sequence += 1
      await kyc.webhooks.handle(
        mock.createWebhookDelivery([
          {
            id: `evt_${sequence}`,
            provider: 'persona',
            type: eventTypes[verification.status as keyof typeof eventTypes],
            occurredAt: new Date(Date.UTC(2026, 0, 1, 0, sequence)).toISOString(),
            verification,
            raw: { type: 'inquiry.updated' },
          },
        ]),
      )
    }
    kyc.webhooks.close()
  } finally {
    await store.close?.()
  }
}

// PGlite starts a WebAssembly Postgres in every run of the bin: seconds each on a shared machine.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 })

describe('openkyc migrate', () => {
  it('applies the migrations once, then reports the database up to date', async () => {
    const first = await runBin(['migrate', '--data-dir', dataDir, '--json'])
    expect(first.code).toBe(0)
    const result = z
      .object({ applied: z.array(z.number()), version: z.number() })
      .parse(JSON.parse(first.stdout))
    expect(result.applied.length).toBeGreaterThan(0)
    expect(result.version).toBe(result.applied.at(-1))
    const second = await runBin(['migrate', '--data-dir', dataDir])
    expect(second).toMatchObject({
      code: 0,
      stdout: `Up to date at version ${result.version}.\n`,
      stderr: '',
    })
  })

  it('says what to set when no database is given, and fails on a database that is down', async () => {
    const none = await runBin(['migrate'])
    expect(none).toMatchObject({ code: 1, stdout: '' })
    expect(none.stderr).toBe(
      'error: no database: set DATABASE_URL, or pass --data-dir <directory> for a PGlite database\n',
    )
    const down = await runBin(['migrate'], { DATABASE_URL: 'postgres://user:s3cret-pw@127.0.0.1:9/kyc' })
    expect(down.code).toBe(1)
    expect(down.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(down.stderr).toMatch(/^error: /)
    expect(down.stderr).not.toContain('s3cret-pw')
  })
})

describe('openkyc verifications and audit export', () => {
  beforeEach(fillStore)

  it('lists verifications with their latest status and outcome, filterable', async () => {
    const listed = await runBin(['verifications', 'list', '--data-dir', dataDir, '--json'])
    expect(listed.code).toBe(0)
    const rows = z
      .array(
        z
          .object({
            provider: z.string(),
            verificationId: z.string(),
            status: z.string(),
            entries: z.number(),
          })
          .passthrough(),
      )
      .parse(JSON.parse(listed.stdout))
    expect(rows.map((row) => [row.verificationId, row.status, row.outcome, row.entries])).toEqual([
      ['inq_one', 'completed', 'declined', 2],
      ['inq_two', 'submitted', undefined, 1],
    ])
    const human = await runBin(['verifications', 'list', '--data-dir', dataDir, '--status', 'completed'])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/^persona {2}inq_one {2}completed \(declined\) {2}\S+\n1 verification\.\n$/)
  })

  it('shows one verification as its audit timeline, and refuses an unknown one', async () => {
    const shown = await runBin(['verifications', 'show', 'persona', 'inq_one', '--data-dir', dataDir])
    expect(shown.code).toBe(0)
    const lines = shown.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe('persona inq_one')
    expect(lines).toHaveLength(3)
    expect(lines[2]).toMatch(/in_progress → completed\/declined {2}\[document_expired\]$/)
    const json = await runBin([
      'verifications',
      'show',
      'persona',
      'inq_one',
      '--data-dir',
      dataDir,
      '--json',
    ])
    const parsed = z
      .object({
        provider: z.literal('persona'),
        verificationId: z.literal('inq_one'),
        timeline: z.array(AuditEntrySchema),
      })
      .parse(JSON.parse(json.stdout))
    expect(parsed.timeline.map((entry) => entry.to?.status)).toEqual(['in_progress', 'completed'])
    const missing = await runBin(['verifications', 'show', 'persona', 'inq_nope', '--data-dir', dataDir])
    expect(missing).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'error: no audit entry for persona verification inq_nope\n',
    })
  })

  it('exports the audit log as JSON Lines with the chain verified, and --since filters', async () => {
    const exported = await runBin(['audit', 'export', '--verify', '--data-dir', dataDir])
    expect(exported.code).toBe(0)
    expect(exported.stderr).toBe('audit chain verified: 3 entries\n')
    const entries = exported.stdout
      .trimEnd()
      .split('\n')
      .map((text) => AuditEntrySchema.parse(JSON.parse(text)))
    expect(entries.map((entry) => entry.sequence)).toEqual([1, 2, 3])
    const future = await runBin(['audit', 'export', '--since', '2999-01-01T00:00:00Z', '--data-dir', dataDir])
    expect(future).toMatchObject({ code: 0, stdout: '' })
    const bad = await runBin(['audit', 'export', '--since', 'yesterday', '--data-dir', dataDir])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/^error: --since must be an ISO 8601/)
  })

  it('filters the list by outcome and age, and refuses a malformed age in one line', async () => {
    const list = async (...args: string[]) => {
      const run = await runBin(['verifications', 'list', '--data-dir', dataDir, '--json', ...args])
      expect(run).toMatchObject({ code: 0, stderr: '' })
      return z
        .array(z.object({ verificationId: z.string() }).passthrough())
        .parse(JSON.parse(run.stdout))
        .map((row) => row.verificationId)
    }
    expect(await list('--outcome', 'declined')).toEqual(['inq_one'])
    expect(await list('--outcome', 'approved')).toEqual([])
    // Recorded a moment ago: changed within the last hour, none unchanged for an hour.
    expect(await list('--since', '1h')).toEqual(['inq_one', 'inq_two'])
    expect(await list('--older-than', '1h')).toEqual([])
    expect(await list('--older-than', '0s', '--status', 'submitted')).toEqual(['inq_two'])
    const bad = await runBin(['verifications', 'list', '--data-dir', dataDir, '--older-than', 'two hours'])
    expect(bad).toMatchObject({ code: 1, stdout: '' })
    expect(bad.stderr).toBe(
      'error: --older-than must be an ISO 8601 date or time (2026-01-31T00:00:00Z) or a duration back from now (30m, 2h, 7d)\n',
    )
  })

  it('watch follows the audit log by cursor: JSON Lines with --json, one line per change without', async () => {
    const json = await runBin([
      'verifications',
      'watch',
      '--data-dir',
      dataDir,
      '--since',
      '1h',
      '--limit',
      '3',
      '--interval',
      '100ms',
      '--json',
    ])
    expect(json).toMatchObject({ code: 0, stderr: '' })
    const entries = json.stdout
      .trimEnd()
      .split('\n')
      .map((text) => AuditEntrySchema.parse(JSON.parse(text)))
    expect(entries.map((entry) => [entry.verificationId, entry.to?.status])).toEqual([
      ['inq_one', 'in_progress'],
      ['inq_one', 'completed'],
      ['inq_two', 'submitted'],
    ])
    const human = await runBin([
      'verifications',
      'watch',
      '--data-dir',
      dataDir,
      '--since',
      '1h',
      '--limit',
      '2',
    ])
    expect(human.code).toBe(0)
    expect(human.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /^persona {2}inq_one {2}#\d+ {2}\S+ {2}state_changed by provider {2}in_progress$/,
      ),
      expect.stringMatching(/in_progress → completed\/declined {2}\[document_expired\]$/),
    ])
    const bad = await runBin(['verifications', 'watch', '--data-dir', dataDir, '--interval', 'often'])
    expect(bad).toMatchObject({ code: 1, stdout: '' })
    expect(bad.stderr).toMatch(/^error: --interval must be a duration/)
  })

  it('audit export --verify finds a removed tail; a checkpoint kept elsewhere finds it even when the head rows were rewritten', async () => {
    const checkpoint = join(dataDir, '..', `checkpoint-${Date.now()}.json`)
    const first = await runBin([
      'audit',
      'export',
      '--verify',
      '--checkpoint',
      checkpoint,
      '--data-dir',
      dataDir,
    ])
    expect(first).toMatchObject({ code: 0, stderr: 'audit chain verified: 3 entries\n' })
    const again = await runBin([
      'audit',
      'export',
      '--verify',
      '--checkpoint',
      checkpoint,
      '--data-dir',
      dataDir,
    ])
    expect(again.code).toBe(0)
    expect(again.stderr).toMatch(
      /^audit chain verified: 3 entries, checkpoint of \S+ \(3 entries\) still holds\n$/,
    )

    const database = await openDatabase({ dataDir })
    let last: { chain: number; chainSequence: number; previousHash: string }
    try {
      const [row] = await database.query<{ entry: typeof last }>({
        name: 'read the last audit entry',
        text: 'SELECT entry FROM openkyc.audit_log ORDER BY sequence DESC LIMIT 1',
        values: [],
      })
      last = row!.entry
      await database.execute(
        `ALTER TABLE openkyc.audit_log DISABLE TRIGGER ALL;
         DELETE FROM openkyc.audit_log WHERE sequence = (SELECT max(sequence) FROM openkyc.audit_log);`,
        'remove the last audit entry',
      )
    } finally {
      await database.close()
    }
    const removed = await runBin(['audit', 'export', '--verify', '--data-dir', dataDir])
    expect(removed).toMatchObject({ code: 1, stdout: '' })
    expect(removed.stderr).toBe('error: the audit chain is broken at its end (head_mismatch)\n')

    // Now also rewind the database's own record of that chain's head: only the checkpoint can tell.
    const rewrite = await openDatabase({ dataDir })
    try {
      await rewrite.query({
        name: 'rewind the chain head',
        text: 'UPDATE openkyc.audit_chain_head SET chain_sequence = $1, hash = $2 WHERE chain = $3',
        values: [last.chainSequence - 1, last.previousHash, last.chain],
      })
    } finally {
      await rewrite.close()
    }
    const fooled = await runBin(['audit', 'export', '--verify', '--data-dir', dataDir])
    expect(fooled).toMatchObject({ code: 0, stderr: 'audit chain verified: 2 entries\n' })
    const caught = await runBin([
      'audit',
      'export',
      '--verify',
      '--checkpoint',
      checkpoint,
      '--data-dir',
      dataDir,
    ])
    expect(caught).toMatchObject({ code: 1, stdout: '' })
    expect(caught.stderr).toMatch(
      /^error: the audit log lost entries: entry 3 \(chain \d+\), recorded by the checkpoint of \S+, is gone or changed\n$/,
    )
    await rm(checkpoint, { force: true })
  })

  it('refuses to export a tampered audit log with --verify, printing nothing', async () => {
    const database = await openDatabase({ dataDir })
    try {
      await database.execute(
        // The owner can switch the append-only trigger off; the hash chain still tells.
        `ALTER TABLE openkyc.audit_log DISABLE TRIGGER ALL;
         UPDATE openkyc.audit_log SET entry = jsonb_set(entry, '{to,status}', '"cancelled"') WHERE sequence = 2;`,
        'tamper with the audit log',
      )
    } finally {
      await database.close()
    }
    const exported = await runBin(['audit', 'export', '--verify', '--data-dir', dataDir])
    expect(exported.code).toBe(1)
    expect(exported.stdout).toBe('')
    expect(exported.stderr).toMatch(/^error: the audit chain is broken at entry 2 /)
  })
})
