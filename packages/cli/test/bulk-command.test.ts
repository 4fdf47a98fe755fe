import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { runBin } from './support/run-bin.js'

let directory: string
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'openkyc-cli-bulk-'))
})
afterEach(async () => {
  await rm(directory, { recursive: true, force: true })
})

it('bulk run works a CSV against Persona, bulk status reads the batch back; a second run of the batch adds nothing', async () => {
  const simulator = createPersonaSimulator()
  const server = await simulator.listen()
  try {
    const env = {
      PERSONA_API_KEY: 'persona_sandbox_cli_bulk',
      PERSONA_TEMPLATE_ID: 'itmpl_cli_bulk',
      PERSONA_WEBHOOK_SECRETS: 'wbhsec_cli_bulk',
      PERSONA_BASE_URL: `${server.url}/api/v1`,
    }
    const csv = join(directory, 'subjects.csv')
    await writeFile(
      csv,
      [
        'provider,subject_reference,first_name',
        'persona,user-1,Ada',
        'persona,user-2,',
        'persona,user-3,Grace',
      ].join('\n'),
    )
    const dataDir = join(directory, 'db')
    const run = await runBin(['bulk', 'run', csv, '--data-dir', dataDir, '--json'], env)
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const status = JSON.parse(run.stdout) as { batchId: string; total: number; done: number; failed: number }
    expect(status).toMatchObject({ total: 3, done: 3, failed: 0, remaining: 0 })
    expect(simulator.persona.state.collection('inquiry').size).toBe(3)

    const again = await runBin(['bulk', 'run', csv, '--data-dir', dataDir, '--batch-id', status.batchId], env)
    expect(again.code).toBe(0)
    expect(again.stdout).toContain(`batch ${status.batchId}: 3 done, 0 failed, 0 remaining of 3`)
    expect(simulator.persona.state.collection('inquiry').size).toBe(3)

    const read = await runBin(['bulk', 'status', status.batchId, '--data-dir', dataDir], env)
    expect(read.code).toBe(0)
    expect(read.stdout).toContain('3 done, 0 failed, 0 remaining of 3')
    const unknown = await runBin(['bulk', 'status', crypto.randomUUID(), '--data-dir', dataDir])
    expect(unknown).toMatchObject({ code: 1, stderr: 'error: no batch with that id\n' })
  } finally {
    await server.close()
  }
}, 240_000)

it('bulk run refuses a CSV with an unknown column, naming its position and not its text', async () => {
  const csv = join(directory, 'bad.csv')
  await writeFile(csv, 'provider,subject_reference,Jane Doe passport\npersona,user-1,X\n')
  const run = await runBin(['bulk', 'run', csv, '--data-dir', join(directory, 'db'), '--no-work'])
  expect(run.code).toBe(1)
  expect(run.stderr).toContain('column 3')
  expect(run.stderr).not.toContain('Jane')
}, 240_000)
