// A webhook receiver as an application builds it (`createKyc` with the Persona adapter and
// `openPostgresStore`), for the test that kills a process while a group of one verification's events
// is open in one transaction (`crash-in-group.test.ts`). Its handler writes one row per event in the
// event's transaction and records the transaction's id (`txid_current()`).
//
// With STORM_HOLD_EVENTS=n (the events of one burst of deliveries), the handler makes the group happen
// and then stops inside it:
// - the first event's handler waits until all n events were parsed, so the others queue behind it in
//   the pipeline and go to the store together once it commits;
// - the handler of the n-th event, when its store transaction already ran another event's handler,
//   prints `{"group":[{"eventId","txid"}, …]}` (the events handled in that open transaction) and
//   never returns: the test SIGKILLs the process then.
// Without it (a restart), it just processes. Each delivery is answered 200 with
// `{"events":[ids processed],"duplicates":[ids skipped]}`, or the pipeline's error status.
import { createServer } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { createKyc, isKycError } from '@openkyc/core'
import { createPersona } from '@openkyc/persona'
import { openPostgresStore } from '@openkyc/postgres'
import { createObservedTables } from './observed-tables.mjs'

const environment = process.env
const schema = environment.STORM_SCHEMA ?? 'openkyc'
const holdEvents = Number(environment.STORM_HOLD_EVENTS ?? '0')
const store = await openPostgresStore({
  ...(environment.STORM_DATABASE_URL
    ? { url: environment.STORM_DATABASE_URL, maxConnections: 4 }
    : { dataDir: environment.STORM_DATA_DIR }),
  schema,
})
await createObservedTables(store.database, schema)

const persona = createPersona({
  apiKey: 'persona_sandbox_openkyc_storm',
  templateId: 'itmpl_openkyc_storm',
  webhookSecrets: [environment.STORM_SECRET],
  webhookToleranceSeconds: 3600,
  env: {},
})
// Events parsed so far: the pipeline queues an event right after its delivery was parsed (no I/O in
// between), so once all are parsed and a timer ran, every one of them waits in the pipeline.
let parsedEvents = 0
const parseWebhook = persona.parseWebhook.bind(persona)
persona.parseWebhook = async (input) => {
  const events = await parseWebhook(input)
  parsedEvents += events.length
  return events
}

let handlerCalls = 0
let currentTransaction
let handledInTransaction = []
const kyc = createKyc({
  adapters: { persona: () => persona },
  store,
  // The held handler must outlive the test's reaction: a group's handlers are timed by this.
  webhooks: { storeTimeoutMs: 60_000, claimWaitMs: 1500 },
})

async function onEvent(processed, { transaction, handle }) {
  handlerCalls += 1
  const [{ txid }] = await handle.query('SELECT txid_current()::text AS txid')
  await handle.query(
    `INSERT INTO "${schema}".storm_effect (event_id, instance) VALUES ($1, 'group-receiver')`,
    [processed.event.id],
  )
  if (transaction !== currentTransaction) {
    currentTransaction = transaction
    handledInTransaction = []
  }
  handledInTransaction.push({ eventId: processed.event.id, txid })
  if (holdEvents === 0) return
  if (handlerCalls === 1) {
    while (parsedEvents < holdEvents) await sleep(2)
    await sleep(20)
  } else if (handlerCalls === holdEvents && handledInTransaction.length >= 2) {
    process.stdout.write(`${JSON.stringify({ group: handledInTransaction })}\n`)
    await new Promise(() => {})
  }
}

const server = createServer((request, response) => {
  const chunks = []
  request.on('data', (chunk) => chunks.push(chunk))
  request.on('end', async () => {
    try {
      const outcome = await kyc.webhooks.handle(
        { rawBody: Buffer.concat(chunks).toString('utf8'), headers: request.headers },
        { onEvent },
      )
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          events: outcome.events.map((processed) => processed.event.id),
          duplicates: outcome.duplicates,
        }),
      )
    } catch (error) {
      const retryable = isKycError(error) && error.retryable
      response
        .writeHead(retryable ? 503 : isKycError(error) ? 400 : 500)
        .end(isKycError(error) ? error.code : 'error')
    }
  })
})
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`)
})
process.on('SIGTERM', () => {
  server.close()
  void store.close().then(() => process.exit(0))
})
