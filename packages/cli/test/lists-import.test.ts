import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPersona } from '@openkyc/persona'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { runBin } from './support/run-bin.js'

const apiKey = 'persona_sandbox_lists_test'
let directory: string
let env: Record<string, string>
let close: () => Promise<void>
let simulatorUrl: string
const simulator = createPersonaSimulator({ apiKeys: [apiKey] })
const adapter = createPersona({ apiKey, templateId: 'itmpl_lists', fetch: simulator.fetch })

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 })

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'openkyc-lists-'))
  const server = await simulator.listen()
  close = server.close
  simulatorUrl = server.url
  env = {
    KYC_PROVIDER: 'persona',
    PERSONA_API_KEY: apiKey,
    PERSONA_TEMPLATE_ID: 'itmpl_lists',
    PERSONA_BASE_URL: `${server.url}/api/v1`,
  }
})
afterAll(async () => {
  await close()
  await rm(directory, { recursive: true, force: true })
})

async function importers(): Promise<number> {
  const response = await fetch(`${simulatorUrl}/api/v1/importers`, {
    headers: { authorization: `Bearer ${apiKey}` },
  })
  return ((await response.json()) as { data: unknown[] }).data.length
}

describe('openkyc lists import', () => {
  it('imports a CSV into a Persona list and reports the counts, as JSON and as text', async () => {
    const list = await adapter.createList!({ kind: 'email_address', name: 'blocked e-mail addresses' })
    const file = join(directory, 'emails.csv')
    const rows = Array.from({ length: 250 }, (_, index) => `person${index}@example.com,email_address`)
    await writeFile(file, `value,match_type\n${rows.join('\n')}\n`)
    const json = await runBin(['lists', 'import', list.id, file, '--json'], env)
    expect(json).toMatchObject({ code: 0, stderr: '' })
    const result = z
      .object({
        listId: z.literal(list.id),
        rows: z.literal(250),
        status: z.literal('ready'),
        successfulCount: z.number(),
        errorCount: z.literal(0),
        duplicateCount: z.number(),
        rowsPerSecond: z.number().positive(),
      })
      .passthrough()
      .parse(JSON.parse(json.stdout))
    expect(result.successfulCount + result.duplicateCount).toBe(250)
    const again = await runBin(['lists', 'import', list.id, file], env)
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(
      new RegExp(
        `^Imported 250 rows into ${list.id}: \\d+ added, \\d+ duplicates, 0 errors \\(ready\\) in [\\d.]+ s, \\d+ rows/s\\.\\n$`,
      ),
    )
  })

  it('refuses a malformed CSV, an empty one and a missing file in one line, sending nothing', async () => {
    const list = await adapter.createList!({ kind: 'email_address', name: 'untouched' })
    const before = await importers()
    const malformed = join(directory, 'malformed.csv')
    await writeFile(
      malformed,
      'value,match_type\nsecret.person@example.com,email_address\n"unclosed@example.com,email_address\n',
    )
    const ragged = join(directory, 'ragged.csv')
    await writeFile(ragged, 'value,match_type\nsecret.person@example.com,email_address,extra\n')
    const empty = join(directory, 'empty.csv')
    await writeFile(empty, 'value,match_type\n')
    const cases: [string, RegExp][] = [
      [malformed, /^error: \S+malformed\.csv is not valid CSV at line \d+ \(CSV_\w+\)\n$/],
      [ragged, /^error: \S+ragged\.csv is not valid CSV at line 2 \(CSV_\w+\)\n$/],
      [empty, /^error: \S+empty\.csv has no data rows under its header row\n$/],
      [join(directory, 'absent.csv'), /^error: \S+absent\.csv cannot be read \(ENOENT\)\n$/],
    ]
    for (const [file, says] of cases) {
      const run = await runBin(['lists', 'import', list.id, file], env)
      expect(run).toMatchObject({ code: 1, stdout: '' })
      expect(run.stderr).toMatch(says)
      expect(run.stderr).not.toContain('secret.person')
    }
    expect(await importers()).toBe(before)
  })
})
