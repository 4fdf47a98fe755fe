import { mkdir, readdir, rm } from 'node:fs/promises'
import { resolve } from 'node:path'
import { createMemoryStore, type KycStore } from '@openkyc/core'
import { createPostgresStore, migrate, openDatabase } from '@openkyc/postgres'
import { DemoConfigurationError } from './credentials.js'

/** The store behind the demo's webhook pipelines, and how to describe and close it. */
export type DemoStore = {
  readonly store: KycStore<unknown>
  /** One line for people: where the data lives and how to wipe it. */
  readonly description: string
  close(): Promise<void>
}

/** Options for {@link openDemoStore}. */
export type OpenDemoStoreOptions = {
  /** PGlite's data directory; `undefined` for an in-memory store that keeps nothing. */
  dataDirectory: string | undefined
  /** Wipe the data directory first (only one PGlite made, or an empty one). */
  reset: boolean
}

/** PGlite (like PostgreSQL) writes this file at the top of every data directory. */
const dataDirectoryMarker = 'PG_VERSION'

async function entriesOf(directory: string): Promise<string[] | undefined> {
  try {
    return await readdir(directory)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/**
 * Opens the demo's store: `@openkyc/postgres` on PGlite in `dataDirectory` (created when missing,
 * migrated, kept across restarts), or a memory store. `reset` deletes the directory first, but only
 * when it is empty or holds a PGlite database, never an unrelated folder given by mistake.
 *
 * @example
 * ```ts
 * const { store, description } = await openDemoStore({ dataDirectory: '.openkyc/demo-data', reset: false })
 * ```
 */
export async function openDemoStore(options: OpenDemoStoreOptions): Promise<DemoStore> {
  if (options.dataDirectory === undefined) {
    return {
      store: createMemoryStore(),
      description: 'in memory (--memory): nothing is kept',
      close: async () => {},
    }
  }
  const directory = resolve(options.dataDirectory)
  const entries = await entriesOf(directory)
  if (entries !== undefined && entries.length > 0 && !entries.includes(dataDirectoryMarker)) {
    throw new DemoConfigurationError(
      `${directory} is not empty and holds no PGlite database: choose another --data-dir (nothing was changed).`,
    )
  }
  if (options.reset) await rm(directory, { recursive: true, force: true })
  await mkdir(directory, { recursive: true })
  const database = await openDatabase({ dataDir: directory })
  await migrate(database)
  const store = await createPostgresStore({ database, closeDatabase: true })
  return {
    store: store as KycStore<unknown>,
    description: `PGlite in ${directory} (history kept across restarts; --reset-data wipes it)`,
    close: () => store.close(),
  }
}
