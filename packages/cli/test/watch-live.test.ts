import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { type AuditEntry, AuditEntrySchema, createKyc, type VerificationStatus } from '@openkyc/core'
import { createMockAdapter, createMockVerification } from '@openkyc/core/test'
import { openPostgresStore } from '@openkyc/postgres'
import { describe, expect, it } from 'vitest'
import { binPath, runBin } from './support/run-bin.js'

const url = process.env.DATABASE_URL

const eventTypes = {
  in_progress: 'verification.started',
  completed: 'verification.completed',
} as const

describe.runIf(url !== undefined && url !== '')(
  'openkyc verifications watch --json, live on the PostgreSQL server (DATABASE_URL; PGlite cannot be shared across processes)',
  () => {
    it('prints each change another process applies through a store on the same database, then stops on SIGTERM', async () => {
      const env = { PATH: process.env.PATH ?? '', DATABASE_URL: url! }
      expect((await runBin(['migrate'], env)).code).toBe(0)
      // A provider name no other run uses: the watch filters on it, so older rows never print.
      const provider = `live${randomUUID().replaceAll('-', '').slice(0, 12)}`
      const child = spawn(
        process.execPath,
        [binPath, 'verifications', 'watch', '--json', '--interval', '100ms', '--provider', provider],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      )
      let stderr = ''
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk
      })
      const exited = once(child, 'exit')
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
      const nextEntry = async () => {
        const next = await lines.next()
        if (next.done) expect.fail(`the watch ended without a line; stderr: ${stderr}`)
        return AuditEntrySchema.parse(JSON.parse(next.value))
      }

      const store = await openPostgresStore({ url: url!, migrate: false })
      const mock = createMockAdapter({ provider })
      const kyc = createKyc({ adapters: { [provider]: mock }, store, env: {} })
      const apply = (verificationId: string, status: keyof typeof eventTypes) =>
        kyc.webhooks.handle(
          mock.createWebhookDelivery([
            {
              id: `evt_${verificationId}_${status}`,
              provider,
              type: eventTypes[status],
              occurredAt: new Date().toISOString(),
              verification: createMockVerification({
                id: verificationId,
                provider,
                status: status satisfies VerificationStatus,
              }),
              raw: { type: 'inquiry.updated' },
            },
          ]),
        )
      try {
        // The watch starts at the newest entry when it starts, and prints no ready line: start a new
        // verification every half second until the first one prints, so the watch is following.
        const firstLine = nextEntry()
        let started = 0
        let first: AuditEntry | undefined
        while (first === undefined) {
          started += 1
          await apply(`inq_live_${started}`, 'in_progress')
          first = await Promise.race([
            firstLine,
            new Promise<undefined>((resolve) => setTimeout(resolve, 500, undefined)),
          ])
        }
        expect(first).toMatchObject({ provider, to: { status: 'in_progress' } })
        expect(first.verificationId).toMatch(/^inq_live_\d+$/)
        // A change applied now, while it follows, arrives as a JSON line.
        await apply(first.verificationId, 'completed')
        let entry = await nextEntry()
        while (entry.to?.status !== 'completed') entry = await nextEntry()
        expect([entry.provider, entry.verificationId, entry.from?.status, entry.to?.status]).toEqual([
          provider,
          first.verificationId,
          'in_progress',
          'completed',
        ])
        child.kill('SIGTERM')
        const [code] = await exited
        expect(code).toBe(0)
        expect(stderr).toBe('')
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
        kyc.webhooks.close()
        await store.close?.()
      }
    }, 120_000)
  },
)
