import { afterEach, describe, expect, it } from 'vitest'
import { type Jobs, jobsMigrations, migrateJobs, openJobs, queueName } from '../src/index.js'
import { freshSchema, testDatabases } from './databases.js'

describe.each(testDatabases())('openJobs on $name', (target) => {
  const cleanups: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  async function open(schema = freshSchema()): Promise<Jobs> {
    const database = await target.open()
    cleanups.push(() => database.close())
    const jobs = await openJobs({ database, url: target.url, schema })
    cleanups.push(() => jobs.stop({ timeoutMs: 1_000 }))
    return jobs
  }

  it('starts pg-boss on the database, runs a job through a queue of its own, and stops', async () => {
    const jobs = await open()
    const name = await jobs.ensureQueue('smoke')
    expect(name).toBe('openkyc-smoke')
    const seen: unknown[] = []
    await jobs.boss.work<{ n: number }>(name, { pollingIntervalSeconds: 0.5 }, async ([job]) => {
      seen.push(job?.data)
      return { doubled: (job?.data.n ?? 0) * 2 }
    })
    const id = await jobs.boss.send(name, { n: 21 })
    expect(id).toEqual(expect.any(String))
    await expect.poll(() => seen, { timeout: 20_000 }).toEqual([{ n: 21 }])
    await expect
      .poll(async () => (await jobs.boss.getJobById(name, id as string))?.state, { timeout: 20_000 })
      .toBe('completed')
    expect((await jobs.boss.getJobById(name, id as string))?.output).toEqual({ doubled: 42 })
  })

  it('keeps its own tables in its own schema and pg-boss in another; migrating twice changes nothing', async () => {
    const schema = freshSchema()
    const jobs = await open(schema)
    const tables = await jobs.database.query<{ schema: string; table: string }>({
      name: 'tables',
      text: `SELECT table_schema AS schema, table_name AS table FROM information_schema.tables
             WHERE table_schema IN ($1, $2) ORDER BY 1, 2`,
      values: [schema, `${schema}_queue`],
    })
    expect(tables.filter((row) => row.schema === schema).map((row) => row.table)).toEqual(
      expect.arrayContaining(['bulk_batch', 'bulk_item', 'migration', 'rate_limit', 'rate_limit_slot']),
    )
    expect(tables.filter((row) => row.schema === `${schema}_queue`).map((row) => row.table)).toContain('job')
    const again = await migrateJobs(jobs.database, { schema })
    expect(again).toEqual({ applied: [], version: jobsMigrations.length })
  })

  // Several processes share a server only: PGlite is one process's database, so the race has no PGlite case.
  if (target.name === 'server') {
    it('processes starting together all get the queue they race to create (pg-boss deadlocks all but one)', async () => {
      const schema = freshSchema()
      const participants = await Promise.all([open(schema), open(schema), open(schema), open(schema)])
      // Every participant asks for every queue at once: 48 creations racing on one server.
      const kinds = Array.from({ length: 12 }, (_, index) => `race-${String.fromCharCode(97 + index)}`)
      const names = await Promise.all(
        kinds.flatMap((kind) => participants.map((jobs) => jobs.ensureQueue(kind))),
      )
      expect(new Set(names)).toEqual(new Set(kinds.map(queueName)))
      for (const kind of kinds) expect(await participants[0]!.boss.getQueue(queueName(kind))).not.toBeNull()
    })
  }

  it('refuses a job kind that is not lower-case words and hyphens', () => {
    expect(() => queueName('Bulk Item')).toThrow(TypeError)
    expect(queueName('bulk-item')).toBe('openkyc-bulk-item')
  })
})
