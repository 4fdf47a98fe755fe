import { describe, expect, it } from 'vitest'
import { createPostgresStore, latestMigrationVersion, migrate, migrations } from '../src/index.js'
import { statements } from '../src/sql.js'
import { freshSchema, freshStore, testDatabases, verificationAt } from './databases.js'

// verifications.find reads the stored document; the subject reference, the lookup erasure makes
// (every verification of one subject), has a column and an index of its own (migration 6). The plan
// is that of the store's own statement, its parameters bound.
describe.each(testDatabases())('verifications.find on $name uses the subject index', (target) => {
  it('finds a subject among 5,000 verifications through its index, not a scan', async () => {
    const { database, schema } = await freshStore(target)
    await database.query({
      name: 'seed verifications',
      text: `INSERT INTO ${schema}.verification (provider, id, progress, subject_reference, document)
        SELECT 'persona', 'inq_' || n, '0', 'subject-' || n,
          jsonb_build_object('id', 'inq_' || n, 'subjectReference', 'subject-' || n,
            'status', CASE WHEN n % 100 = 0 THEN 'in_progress' ELSE 'completed' END)
        FROM generate_series(1, 5000) AS n`,
      values: [],
    })
    await database.execute(`ANALYZE ${schema}.verification`, 'analyze')
    const query: Parameters<typeof statements.selectVerificationPage>[1] = {
      provider: null,
      subjectReference: null,
      statuses: null,
      outcomes: null,
      redacted: null,
      unchangedForMs: null,
      settledBefore: null,
      afterProvider: null,
      afterId: null,
      limit: 100,
    }
    const plan = async (filters: Partial<typeof query>) => {
      const statement = statements.selectVerificationPage(schema, { ...query, ...filters })
      const rows = await database.query<{ 'QUERY PLAN': string }>({
        ...statement,
        name: 'explain verification page',
        text: `EXPLAIN ${statement.text}`,
      })
      return rows.map((row) => row['QUERY PLAN']).join('\n')
    }
    const subjectPlan = await plan({ subjectReference: 'subject-42' })
    expect(subjectPlan).toContain('verification_subject_reference')
    expect(subjectPlan).not.toContain('Seq Scan')
  })

  it('writes a new state of a verification as a heap-only (HOT) update: no index is touched', async () => {
    const { database, schema } = await freshStore(target)
    const first = verificationAt('inq_hot', 'created', 1, { subjectReference: 'subject-hot' })
    const row = (verification: typeof first) => ({
      provider: 'persona',
      id: verification.id,
      progress: String(verification.updatedAt),
      document: JSON.stringify(verification),
      subjectReference: verification.subjectReference ?? null,
    })
    // One transaction, so its own statistics (pg_stat_xact_*) count exactly these writes.
    const hotUpdates = await database.transaction(async (transaction) => {
      const [inserted] = await transaction.query<{ version: string }>(
        statements.insertVerification(schema, row(first)),
      )
      let version = inserted?.version
      for (const [minute, status] of [
        [2, 'submitted'],
        [3, 'completed'],
      ] as const) {
        const [advanced] = await transaction.query<{ version: string }>(
          statements.advanceVerification(schema, {
            ...row(verificationAt('inq_hot', status, minute, { subjectReference: 'subject-hot' })),
            fromVersion: String(version),
          }),
        )
        expect(advanced).toBeDefined()
        version = advanced?.version
      }
      const [stats] = await transaction.query<{ updates: string; hot: string }>({
        name: 'hot updates',
        text: `SELECT n_tup_upd::text AS updates, n_tup_hot_upd::text AS hot FROM pg_stat_xact_user_tables
          WHERE schemaname = $1 AND relname = 'verification'`,
        values: [schema],
      })
      return stats
    })
    // An index over the document (migration 4's) made every one of these a full update.
    expect(hotUpdates).toEqual({ updates: '2', hot: '2' })
  })

  it('migration 7 stores new documents compressed with lz4 where the server has it, pglz elsewhere', async () => {
    const { database, schema } = await freshStore(target)
    // The server lists lz4 among the compression methods only when it was built with it (PGlite is not).
    const [setting] = await database.query<{ methods: string[] }>({
      name: 'compression methods',
      text: `SELECT enumvals AS methods FROM pg_settings WHERE name = 'default_toast_compression'`,
      values: [],
    })
    const expected = setting?.methods.includes('lz4') === true ? 'lz4' : 'pglz'
    const document = verificationAt('inq_large', 'completed', 3, {
      subjectReference: 'subject-large',
      // Large enough (about 12 kB) that the server compresses it, as it does a real document.
      checks: Array.from({ length: 60 }, () => ({
        kind: 'document_authenticity' as const,
        outcome: 'passed' as const,
        reasons: [],
        raw: { name: 'id_document_authenticity', status: 'passed', label: 'a compressible vendor label' },
      })),
    })
    await database.query({
      name: 'write a large document',
      text: `INSERT INTO ${schema}.verification (provider, id, progress, subject_reference, document)
        VALUES ('persona', $1, '0', 'subject-large', $2::text::json)`,
      values: [document.id, JSON.stringify(document)],
    })
    const [stored] = await database.query<{ method: string | null; length: number }>({
      name: 'compression of the stored document',
      text: `SELECT pg_column_compression(document) AS method, length(document::text) AS length
        FROM ${schema}.verification WHERE id = $1`,
      values: [document.id],
    })
    expect(stored?.length).toBeGreaterThan(8_000)
    expect(stored?.method).toBe(expected)
  })

  it('migration 6 fills the subject column from the stored documents, and find uses it', async () => {
    const database = await target.database()
    const schema = freshSchema()
    await migrate(database, { schema, migrations: migrations.slice(0, 5) })
    const before = verificationAt('inq_old', 'completed', 4, { subjectReference: 'subject-old' })
    await database.query({
      name: 'seed',
      text: `INSERT INTO "${schema}".verification (provider, id, progress, document) VALUES ($1, $2, '0', $3::text::json)`,
      values: [before.provider, before.id, JSON.stringify(before)],
    })
    // 6 and every later one.
    expect(await migrate(database, { schema })).toEqual({
      applied: migrations.slice(5).map((migration) => migration.version),
      version: latestMigrationVersion,
    })
    const store = await createPostgresStore({ database, schema })
    const page = await store.verifications.find({ subjectReference: 'subject-old', limit: 10 })
    expect(page.verifications).toEqual([before])
  })
})
