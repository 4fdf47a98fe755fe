import { describeStoreConformance } from '@openkyc/testkit/store-conformance'
import type { PostgresStore, PostgresTransactionHandle } from '../src/index.js'
import { freshStore, testDatabases } from './databases.js'

// The suite every store runs (the memory store in core runs the same), once per database: PGlite
// always, the PostgreSQL server when DATABASE_URL is set. Each test gets its own schema.
for (const target of testDatabases()) {
  const schemas = new WeakMap<object, string>()
  const sql = async (store: unknown, text: string, values: (string | number)[] = []) => {
    const postgres = store as PostgresStore
    await postgres.database.query({ name: 'conformance back door', text, values })
  }
  describeStoreConformance<PostgresTransactionHandle>({
    name: `@openkyc/postgres on ${target.name}`,
    async createStore() {
      const { store, schema } = await freshStore(target)
      schemas.set(store, schema)
      await store.database.execute(
        `CREATE TABLE "${schema}".application_row (key text PRIMARY KEY)`,
        'create application table',
      )
      return store
    },
    timeoutMs: 60_000,
    rawArchive: true,
    // createPostgresStore's default.
    auditChains: 16,
    claimsInTransaction: true,
    backDoors: {
      async changeAuditEntry(store, sequence) {
        const schema = schemas.get(store)!
        await sql(store, `ALTER TABLE "${schema}".audit_log DISABLE TRIGGER USER`)
        await sql(
          store,
          `UPDATE "${schema}".audit_log SET entry = jsonb_set(entry, '{actor}', '"application"') WHERE sequence = $1`,
          [sequence],
        )
      },
      async removeAuditEntry(store, sequence) {
        const schema = schemas.get(store)!
        await sql(store, `ALTER TABLE "${schema}".audit_log DISABLE TRIGGER USER`)
        await sql(store, `DELETE FROM "${schema}".audit_log WHERE sequence = $1`, [sequence])
      },
      async corruptVerification(store, key) {
        await sql(
          store,
          `UPDATE "${schemas.get(store)!}".verification SET document = '{"status":"teleported"}' WHERE provider = $1 AND id = $2`,
          [key.provider, key.id],
        )
      },
      async writeApplicationRow(handle, key) {
        await handle.query(`INSERT INTO "${handle.schema}".application_row (key) VALUES ($1)`, [key])
      },
      async hasApplicationRow(store, key) {
        const rows = await (store as PostgresStore).database.query({
          name: 'conformance back door',
          text: `SELECT 1 AS found FROM "${schemas.get(store)!}".application_row WHERE key = $1`,
          values: [key],
        })
        return rows.length > 0
      },
    },
  })
}
