import { createWebhookPipeline, verificationProgressKey } from '@openkyc/core'
import { createPersona } from '@openkyc/persona'
import { beforeAll, describe, expect, it } from 'vitest'
import { freshStore, testDatabases } from './databases.js'
import { createPersonaStorm, type Storm, stormCredentials } from './storm/persona-storm.js'

// The webhook pipeline on this store claims each event inside its transaction (`claimEvent`): these
// tests prove what that path keeps, with genuine Persona deliveries, on PGlite and on the server.
let storm: Storm
beforeAll(async () => {
  storm = await createPersonaStorm(1)
})

const adapter = (nowMs?: number) =>
  createPersona({
    apiKey: stormCredentials.apiKey,
    templateId: stormCredentials.templateId,
    webhookSecrets: [stormCredentials.webhookSecret],
    webhookToleranceSeconds: 3600,
    now: () => nowMs ?? storm.nowMs,
    env: {},
  })

for (const target of testDatabases()) {
  describe(`the webhook pipeline on @openkyc/postgres (${target.name})`, () => {
    it('claims inside the transaction: copies delivered at once are processed once, the handler runs once per event', async () => {
      const { store, schema } = await freshStore(target)
      await store.database.execute(
        `CREATE TABLE "${schema}".effects (event_id text PRIMARY KEY)`,
        'create effects table',
      )
      expect(await store.transaction(async (transaction) => transaction.claimEvent !== undefined)).toBe(true)
      const pipeline = createWebhookPipeline({
        adapter: adapter(),
        store,
        async onEvent({ event }, { handle }) {
          // A primary key: a second run of the handler for one event would fail the test's count below.
          await handle.query(`INSERT INTO "${handle.schema}".effects (event_id) VALUES ($1)`, [event.id])
        },
      })
      const copies = 4
      let processed = 0
      let duplicates = 0
      for (const delivery of storm.deliveries) {
        const outcomes = await Promise.all(Array.from({ length: copies }, () => pipeline.handle(delivery)))
        processed += outcomes.reduce((sum, outcome) => sum + outcome.events.length, 0)
        duplicates += outcomes.reduce((sum, outcome) => sum + outcome.duplicates.length, 0)
      }
      const [row] = await store.database.query<{ count: number }>({
        name: 'count effects',
        text: `SELECT count(*)::int AS count FROM "${schema}".effects`,
        values: [],
      })
      expect(row?.count).toBe(storm.truth.eventIds.size)
      expect(processed).toBe(storm.truth.eventIds.size)
      expect(duplicates).toBe(storm.truth.eventIds.size * (copies - 1))
      expect(await store.verifyAuditChain()).toMatchObject({ valid: true, count: storm.truth.eventIds.size })
    })

    it('events of one verification delivered at once go to the store one at a time, other verifications run beside them; states end as the truth', async () => {
      // Several inquiries, each with several events, all delivered at once.
      const several = await createPersonaStorm(4)
      const { store, schema } = await freshStore(target)
      await store.database.execute(
        `CREATE TABLE "${schema}".effects (event_id text PRIMARY KEY)`,
        'create effects table',
      )
      // Open transactions per verification, seen through the first claim that names it (a
      // transaction may claim several events of its verification: the pipeline groups them).
      const open = new Map<string, number>()
      let mostOpenForOne = 0
      let openInAll = 0
      let mostOpenInAll = 0
      const observed: typeof store = {
        ...store,
        transaction: (work, options) =>
          store.transaction(async (transaction) => {
            let key: string | undefined
            try {
              return await work({
                ...transaction,
                claimEvent: async (request) => {
                  if (key !== undefined) return transaction.claimEvent!(request)
                  key = request.verification?.id
                  openInAll += 1
                  mostOpenInAll = Math.max(mostOpenInAll, openInAll)
                  if (key !== undefined) {
                    open.set(key, (open.get(key) ?? 0) + 1)
                    mostOpenForOne = Math.max(mostOpenForOne, open.get(key)!)
                  }
                  return transaction.claimEvent!(request)
                },
              })
            } finally {
              if (key !== undefined) {
                openInAll -= 1
                open.set(key, open.get(key)! - 1)
              }
            }
          }, options),
      }
      // On the server, the first handler holds its transaction open until another verification's
      // transaction has opened beside it (or 5 s passed), so the overlap below does not depend on
      // how fast this machine happens to run one transaction.
      let firstHandler = target.name === 'server'
      const pipeline = createWebhookPipeline({
        adapter: adapter(several.nowMs),
        store: observed,
        async onEvent({ event }, { handle }) {
          if (firstHandler) {
            firstHandler = false
            const deadline = Date.now() + 5_000
            while (openInAll < 2 && Date.now() < deadline) await new Promise((wake) => setTimeout(wake, 5))
          }
          await handle.query(`INSERT INTO "${handle.schema}".effects (event_id) VALUES ($1)`, [event.id])
        },
      })
      const outcomes = await Promise.all(several.deliveries.map((delivery) => pipeline.handle(delivery)))
      expect(outcomes.reduce((sum, outcome) => sum + outcome.events.length, 0)).toBe(
        several.truth.eventIds.size,
      )
      expect(mostOpenForOne).toBe(1)
      // PGlite runs one transaction at a time; the server runs other verifications' events beside them.
      if (target.name === 'server') expect(mostOpenInAll).toBeGreaterThan(1)
      for (const [key, state] of several.truth.finalStates) {
        const [provider = '', id = ''] = key.split('\u0000')
        const stored = await store.verifications.get({ provider, id })
        expect(stored === undefined ? undefined : verificationProgressKey(stored), id).toBe(state.progress)
      }
      expect(await store.verifyAuditChain()).toMatchObject({
        valid: true,
        count: several.truth.eventIds.size,
      })
    })

    it('a delivery waiting while another holds its event honours its abort signal; the holder commits once', async () => {
      const { store, schema } = await freshStore(target)
      await store.database.execute(
        `CREATE TABLE "${schema}".effects (event_id text PRIMARY KEY)`,
        'create effects table',
      )
      let release: () => void = () => {}
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      let entered: () => void = () => {}
      const inHandler = new Promise<void>((resolve) => {
        entered = resolve
      })
      const pipeline = createWebhookPipeline({
        adapter: adapter(),
        store,
        async onEvent({ event }, { handle }) {
          entered()
          await held
          await handle.query(`INSERT INTO "${handle.schema}".effects (event_id) VALUES ($1)`, [event.id])
        },
      })
      const delivery = storm.deliveries[0]!
      const holder = pipeline.handle(delivery)
      await inHandler
      const abort = new AbortController()
      const waiting = pipeline.handle(delivery, { signal: abort.signal }).catch((error: unknown) => error)
      setTimeout(() => abort.abort(new Error('the provider closed the request')), 100)
      expect(await waiting).toMatchObject({ message: 'the provider closed the request' })
      release()
      expect((await holder).events).toHaveLength(1)
      const [row] = await store.database.query<{ count: number }>({
        name: 'count effects',
        text: `SELECT count(*)::int AS count FROM "${schema}".effects`,
        values: [],
      })
      expect(row?.count).toBe(1)
      expect((await pipeline.handle(delivery)).duplicates).toHaveLength(1)
    })

    /**
     * A pipeline whose first delivery holds its handler until the others are parsed and queued
     * behind it, over a store that records the events each committed transaction claimed.
     */
    const queuedBehindFirst = async (failEvent?: (id: string) => boolean) => {
      const { store, schema } = await freshStore(target)
      await store.database.execute(
        `CREATE TABLE "${schema}".effects (event_id text PRIMARY KEY)`,
        'create effects table',
      )
      const committed: string[][] = []
      const observed: typeof store = {
        ...store,
        transaction: async (work, options) => {
          const claimed: string[] = []
          const result = await store.transaction(
            (transaction) =>
              work({
                ...transaction,
                claimEvent: async (request) => {
                  const answer = await transaction.claimEvent!(request)
                  if (answer.status === 'claimed') claimed.push(request.eventId)
                  return answer
                },
              }),
            options,
          )
          if (claimed.length > 0) committed.push(claimed)
          return result
        },
      }
      const persona = adapter()
      let parsed = 0
      let release: () => void = () => {}
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      let holding = true
      const pipeline = createWebhookPipeline({
        adapter: {
          ...persona,
          parseWebhook: async (call) => {
            const events = await persona.parseWebhook(call)
            parsed += 1
            return events
          },
        },
        store: observed,
        async onEvent({ event }, { handle }) {
          if (holding) {
            holding = false
            await held
          }
          if (failEvent?.(event.id)) throw new Error(`the application could not save ${event.id}`)
          await handle.query(`INSERT INTO "${handle.schema}".effects (event_id) VALUES ($1)`, [event.id])
        },
      })
      const deliverQueued = async (deliveries: readonly (typeof storm.deliveries)[number][]) => {
        const until = async (done: () => boolean) => {
          const deadline = Date.now() + 10_000
          while (!done() && Date.now() < deadline) await new Promise((wake) => setTimeout(wake, 5))
        }
        // The first delivery reaches its handler before the others are sent.
        const settled = [pipeline.handle(deliveries[0]!)]
        await until(() => !holding)
        settled.push(...deliveries.slice(1).map((delivery) => pipeline.handle(delivery)))
        await until(() => parsed === deliveries.length)
        release()
        return Promise.allSettled(settled)
      }
      const effects = async () => {
        const rows = await store.database.query<{ event_id: string }>({
          name: 'read effects',
          text: `SELECT event_id FROM "${schema}".effects ORDER BY event_id`,
          values: [],
        })
        return rows.map((row) => row.event_id)
      }
      return { store, pipeline, committed, deliverQueued, effects }
    }

    /** The storm's deliveries of its one inquiry, each yielding one event: their event ids in order. */
    const firstEventIds = (outcomes: PromiseSettledResult<{ events: { event: { id: string } }[] }>[]) =>
      outcomes.map((outcome) =>
        outcome.status === 'fulfilled'
          ? outcome.value.events.map((processed) => processed.event.id)
          : 'failed',
      )

    it('events of one verification queued behind an earlier one commit together in one transaction', async () => {
      const deliveries = storm.deliveries.slice(0, 5)
      const { store, committed, deliverQueued, effects } = await queuedBehindFirst()
      const outcomes = await deliverQueued(deliveries)
      const ids = firstEventIds(outcomes).flat()
      expect(ids).toHaveLength(deliveries.length)
      // The first alone; the rest, queued while it was held, in one transaction.
      expect(committed.map((claimed) => [...claimed].sort())).toEqual([ids.slice(0, 1), ids.slice(1).sort()])
      expect(await effects()).toEqual([...ids].sort())
      expect(await store.verifyAuditChain()).toMatchObject({ valid: true, count: deliveries.length })
    })

    it('a handler failing in a group: each event is processed again alone, only its delivery fails, every effect once', async () => {
      const deliveries = storm.deliveries.slice(0, 4)
      let failing: string | undefined
      const { store, pipeline, committed, deliverQueued, effects } = await queuedBehindFirst(
        (id) => id === failing,
      )
      // The third delivery's event fails while the group is processed.
      const third = await adapter().parseWebhook({
        rawBody: deliveries[2]!.rawBody,
        headers: new Headers(deliveries[2]!.headers),
      })
      failing = third?.[0]?.id
      const outcomes = await deliverQueued(deliveries)
      const ids = firstEventIds(outcomes)
      expect(ids[2]).toBe('failed')
      // The group rolled back; then each event alone: the second and fourth committed, the third failed.
      const [first, second, , fourth] = ids as string[][]
      expect(committed[0]).toEqual(first)
      expect(committed.slice(1).sort()).toEqual([second, fourth].sort())
      failing = undefined
      expect((await pipeline.handle(deliveries[2]!)).events.map((processed) => processed.event.id)).toEqual([
        third?.[0]?.id,
      ])
      expect(await effects()).toHaveLength(4)
      expect(await store.verifyAuditChain()).toMatchObject({ valid: true, count: 4 })
    })
  })
}
