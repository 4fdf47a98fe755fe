import type { AuditEntry } from '@openkyc/core'
import type { Command } from 'commander'
import { type CliIo, line } from '../output.js'
import { CliFailure, describeFailure } from './open-cli-database.js'

/** `--data-dir`, shared by every command that opens the store. */
export const dataDirOption = [
  '--data-dir <directory>',
  'a PGlite database directory instead of DATABASE_URL',
] as const

/** Options every store command takes. */
export type DatabaseOptions = { dataDir?: string; json?: boolean }

/** Registers a command; the commands of one area share `program`, `io` and `setExitCode`. */
export type RegisterCommands = (program: Command, io: CliIo, setExitCode: (code: number) => void) => void

/** Runs a command; any failure is one line on stderr and exit code 1. */
export async function guarded(
  io: CliIo,
  setExitCode: (code: number) => void,
  work: () => Promise<number>,
): Promise<void> {
  try {
    setExitCode(await work())
  } catch (error) {
    line(io.stderr, `error: ${describeFailure(error)}`)
    setExitCode(1)
  }
}

/** Every item of an async iterable, in order. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = []
  for await (const item of items) result.push(item)
  return result
}

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** A duration such as `500ms`, `90s`, `30m`, `2h` or `7d`, in milliseconds; `undefined` when `text` is not one. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|[smhd])$/.exec(text.trim())
  if (match === null) return undefined
  return Number(match[1]) * (units[match[2] as string] as number)
}

/**
 * A point in time given as an ISO 8601 date or time, or as a duration back from `now` (`2h`: two hours
 * ago). Throws a {@link CliFailure} naming `option` when it is neither.
 */
export function parseTime(option: string, value: string, now: number = Date.now()): number {
  const duration = parseDuration(value)
  if (duration !== undefined) return now - duration
  const time = Date.parse(value)
  if (Number.isNaN(time)) {
    throw new CliFailure(
      `${option} must be an ISO 8601 date or time (2026-01-31T00:00:00Z) or a duration back from now (30m, 2h, 7d)`,
    )
  }
  return time
}

/** Parses a positive integer option. Throws a {@link CliFailure} naming it otherwise. */
export function parsePositiveInteger(option: string, value: string): number {
  const number = Number(value)
  if (!Number.isInteger(number) || number <= 0) throw new CliFailure(`${option} must be a positive integer`)
  return number
}

const state = (value: { status: string; outcome?: string | undefined }) =>
  `${value.status}${value.outcome ? `/${value.outcome}` : ''}`

/** One audit entry as a human line: sequence, time, action, actor, the state change, the reason codes. */
export function formatAuditEntry(entry: AuditEntry): string {
  const from = entry.from === undefined ? '' : `${state(entry.from)} → `
  const to = entry.to === undefined ? '' : state(entry.to)
  const reasons =
    entry.reasons.length === 0 ? '' : `  [${entry.reasons.map((reason) => reason.code).join(', ')}]`
  return `#${entry.sequence}  ${entry.recordedAt}  ${entry.action} by ${entry.actor}  ${from}${to}${reasons}`
}
