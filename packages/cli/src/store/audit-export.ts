import { readFile, rename, writeFile } from 'node:fs/promises'
import type { AuditEntry } from '@openkyc/core'
import { z } from 'zod'
import { type CliIo, line } from '../output.js'
import { type DatabaseOptions, parseTime } from './command-support.js'
import { CliFailure, databaseLocation, openCliStore } from './open-cli-database.js'

/**
 * What `audit export --verify --checkpoint <file>` keeps between runs: the last entry of every hash
 * chain at the last verified export. Kept outside the database (an auditor's copy, a CI artifact), it
 * proves that no entry up to those heads was removed or changed since, even by someone who also
 * rewrote the head rows the database keeps. It cannot prove anything about entries appended after it
 * and removed before the next export.
 */
const CheckpointSchema = z.object({
  version: z.literal(1),
  recordedAt: z.string(),
  entries: z.number().int().nonnegative(),
  heads: z.array(
    z.object({
      chain: z.number().int().nonnegative().nullable(),
      sequence: z.number().int().positive(),
      hash: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  ),
})

type Checkpoint = z.infer<typeof CheckpointSchema>

async function readCheckpoint(file: string): Promise<Checkpoint | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined
    throw new CliFailure(`the checkpoint ${file} cannot be read`)
  }
  try {
    return CheckpointSchema.parse(JSON.parse(text))
  } catch {
    throw new CliFailure(`the checkpoint ${file} is not an openkyc audit checkpoint`)
  }
}

/** The last entry of each chain (`null`: the one chain of a single-chain log). */
function chainHeads(entries: readonly AuditEntry[]): Checkpoint['heads'] {
  const heads = new Map<number | null, AuditEntry>()
  for (const entry of entries) heads.set(entry.chain ?? null, entry)
  return [...heads.values()].map((entry) => ({
    chain: entry.chain ?? null,
    sequence: entry.sequence,
    hash: entry.hash,
  }))
}

/** Writes the file whole or not at all: a temporary file renamed over it. */
async function writeCheckpoint(file: string, checkpoint: Checkpoint): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, `${JSON.stringify(checkpoint, null, 2)}\n`, { mode: 0o600 })
  await rename(temporary, file)
}

/**
 * `openkyc audit export`: with `--verify`, the store's own chain check first (against the chain heads
 * the database records, so a removed tail is found), then the checkpoint's heads; nothing is printed
 * unless every check passed.
 */
export async function exportAudit(
  io: CliIo,
  options: DatabaseOptions & { since?: string; verify?: boolean; checkpoint?: string },
): Promise<number> {
  const since = options.since === undefined ? undefined : parseTime('--since', options.since)
  if (options.checkpoint !== undefined && !options.verify) throw new CliFailure('--checkpoint needs --verify')
  const checkpoint = options.checkpoint === undefined ? undefined : await readCheckpoint(options.checkpoint)
  const store = await openCliStore(databaseLocation(io.env, options.dataDir))
  try {
    if (options.verify) {
      const report = await store.verifyAuditChain()
      if (!report.valid) {
        const where = report.sequence === undefined ? 'its end' : `entry ${report.sequence}`
        line(io.stderr, `error: the audit chain is broken at ${where} (${report.problem})`)
        return 1
      }
      const entries: AuditEntry[] = []
      for await (const entry of store.audit.read()) entries.push(entry)
      if (checkpoint !== undefined) {
        const hashes = new Set(entries.map((entry) => entry.hash))
        const lost = checkpoint.heads.find((head) => !hashes.has(head.hash))
        if (lost !== undefined) {
          line(
            io.stderr,
            `error: the audit log lost entries: entry ${lost.sequence}${lost.chain === null ? '' : ` (chain ${lost.chain})`}, recorded by the checkpoint of ${checkpoint.recordedAt}, is gone or changed`,
          )
          return 1
        }
      }
      line(
        io.stderr,
        `audit chain verified: ${report.count} entries${checkpoint === undefined ? '' : `, checkpoint of ${checkpoint.recordedAt} (${checkpoint.entries} entries) still holds`}`,
      )
      if (options.checkpoint !== undefined) {
        await writeCheckpoint(options.checkpoint, {
          version: 1,
          recordedAt: new Date().toISOString(),
          entries: entries.length,
          heads: chainHeads(entries),
        })
      }
    }
    for await (const entry of store.audit.read()) {
      if (since !== undefined && Date.parse(entry.recordedAt) < since) continue
      line(io.stdout, JSON.stringify(entry))
    }
    return 0
  } finally {
    await store.close()
  }
}
