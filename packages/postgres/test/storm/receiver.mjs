// A webhook receiver as an application runs it: Persona adapter, the transactional pipeline, the
// PostgreSQL store, and a handler that writes one row per event in the event's transaction. The
// crash and several-instances tests start it as a child process (and SIGKILL it). Plain JavaScript
// over the built packages, so it starts like a production process.
import { createServer } from 'node:http'
import { createWebhookPipeline, isKycError } from '@openkyc/core'
import { createPersona } from '@openkyc/persona'
import { createPostgresStore, migrate, openDatabase } from '@openkyc/postgres'
import { createObservedTables } from './observed-tables.mjs'

const environment = process.env
const schema = environment.STORM_SCHEMA ?? 'openkyc'
const instance = environment.STORM_INSTANCE ?? 'receiver'
const database = await openDatabase(
  environment.STORM_DATABASE_URL
    ? { url: environment.STORM_DATABASE_URL, maxConnections: 4 }
    : { dataDir: environment.STORM_DATA_DIR },
)
await migrate(database, { schema })
await createObservedTables(database, schema)
const store = await createPostgresStore({ database, schema })
const adapter = createPersona({
  apiKey: 'persona_sandbox_openkyc_storm',
  templateId: 'itmpl_openkyc_storm',
  webhookSecrets: [environment.STORM_SECRET],
  webhookToleranceSeconds: 3600,
  env: {},
})
// Groups that failed and were processed again one event per transaction (the pipeline logs each):
// printed on a clean stop, for the tests' report.
let groupsRetriedAlone = 0
const logger = {
  debug(message) {
    if (message === 'kyc webhook events processed one by one after their transaction failed')
      groupsRetriedAlone += 1
  },
}
const pipeline = createWebhookPipeline({ adapter, store, logger, leaseMs: 1000, claimWaitMs: 1500 })

const server = createServer((request, response) => {
  const chunks = []
  request.on('data', (chunk) => chunks.push(chunk))
  request.on('end', async () => {
    try {
      await pipeline.handle(
        { rawBody: Buffer.concat(chunks).toString('utf8'), headers: request.headers },
        {
          async onEvent(processed, { handle }) {
            await handle.query(`INSERT INTO "${schema}".storm_effect (event_id, instance) VALUES ($1, $2)`, [
              processed.event.id,
              instance,
            ])
            // Other I/O, as an application's handler has: other deliveries come in meanwhile. On
            // PGlite nothing else would let them (its queries never wait on I/O), so a verification's
            // events would never queue behind each other and the grouped path would go unexercised.
            await new Promise((resolve) => setImmediate(resolve))
          },
        },
      )
      response.writeHead(200).end()
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
  process.stdout.write(`${JSON.stringify({ groupsRetriedAlone })}\n`)
  server.close()
  void database.close().then(() => process.exit(0))
})
