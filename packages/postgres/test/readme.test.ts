import { createKyc } from '@openkyc/core'
import { createPersona } from '@openkyc/persona'
import { describe, expect, it } from 'vitest'
import { openPostgresStore } from '../src/index.js'
import { createPersonaStorm, stormCredentials } from './storm/persona-storm.js'

describe('the README quick start', () => {
  it('persists events and the handler row in one transaction, and a redelivery after a failing handler is processed', async () => {
    const storm = await createPersonaStorm(2)
    const store = await openPostgresStore({ url: undefined })
    try {
      await store.transaction((transaction) =>
        transaction.handle.query(
          `CREATE TABLE "${transaction.handle.schema}".decisions (event_id text PRIMARY KEY, verification_id text, outcome text)`,
        ),
      )
      const kyc = createKyc({
        adapters: {
          persona: () =>
            createPersona({
              apiKey: stormCredentials.apiKey,
              templateId: stormCredentials.templateId,
              webhookSecrets: [stormCredentials.webhookSecret],
              webhookToleranceSeconds: 3600,
              env: {},
            }),
        },
        store,
      })
      let failOnce = true
      const receive = async (rawBody: string, headers: Record<string, string>) => {
        await kyc.webhooks.handle(
          { rawBody, headers },
          {
            async onEvent({ event, verification, changed }, { handle }) {
              if (changed && verification?.status === 'completed') {
                if (failOnce) {
                  failOnce = false
                  throw new Error('database blip in the application')
                }
                await handle.query(
                  `INSERT INTO "${handle.schema}".decisions (event_id, verification_id, outcome) VALUES ($1, $2, $3)`,
                  [event.id, verification.id, verification.decision?.outcome ?? null],
                )
              }
            },
          },
        )
      }
      let failures = 0
      for (const delivery of [...storm.deliveries, ...storm.deliveries]) {
        await receive(delivery.rawBody, delivery.headers).catch(() => {
          failures += 1
        })
      }
      expect(failures).toBe(1)
      const rows = await store.transaction((transaction) =>
        transaction.handle.query<{ verification_id: string }>(
          `SELECT verification_id FROM "${transaction.handle.schema}".decisions`,
        ),
      )
      // One decision row per completed verification, although the first attempt failed.
      expect(rows.map((row) => row.verification_id).sort()).toEqual(
        [...storm.truth.finalStates]
          .filter(([, state]) => state.status === 'completed')
          .map(([key]) => key.split('\u0000')[1])
          .sort(),
      )
      expect(await store.verifyAuditChain()).toMatchObject({ valid: true })
    } finally {
      await store.close()
    }
  })
})
