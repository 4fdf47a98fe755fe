import { describe, expect, it } from 'vitest'
import { statements } from '../src/sql.js'
import { freshStore, testDatabases } from './databases.js'

// verifications.find reads the stored document; migration 4 indexes the lookup erasure makes: every
// verification of one subject. The plan is that of the store's own statement, its parameters bound.
describe.each(testDatabases())('verifications.find on $name uses the subject index', (target) => {
  it('finds a subject among 5,000 verifications through its index, not a scan', async () => {
    const { database, schema } = await freshStore(target)
    await database.query({
      name: 'seed verifications',
      text: `INSERT INTO ${schema}.verification (provider, id, progress, document)
        SELECT 'persona', 'inq_' || n, '0',
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
})
