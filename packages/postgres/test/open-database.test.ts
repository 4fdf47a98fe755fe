import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { migrate, openDatabase } from '../src/index.js'

const directories: string[] = []
afterEach(async () => {
  await Promise.all(directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })))
})

describe('openDatabase', () => {
  it('creates a missing data directory with its parents, as the README quick start needs (.openkyc/db)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'openkyc-open-database-'))
    directories.push(root)
    const database = await openDatabase({ dataDir: join(root, '.openkyc', 'db') })
    try {
      await migrate(database)
      const rows = await database.query<{ one: number }>({ name: 'one', text: 'select 1 as one', values: [] })
      expect(rows).toEqual([{ one: 1 }])
    } finally {
      await database.close()
    }
  })
})
