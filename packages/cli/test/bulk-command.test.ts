import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createOnfidoSimulator,
  onfidoSimulatorApiToken,
  onfidoSimulatorWebhookToken,
  onfidoSimulatorWorkflowId,
} from '@openkyc/simulator-onfido'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { createJpeg } from '@openkyc/testkit/harness'
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

it('bulk run works Onfido items: hosted links, API-channel evidence read from files beside the CSV, and no file from outside it', async () => {
  const simulator = createOnfidoSimulator()
  const server = await simulator.listen()
  try {
    const env = {
      ONFIDO_API_TOKEN: onfidoSimulatorApiToken,
      ONFIDO_WORKFLOW_ID: onfidoSimulatorWorkflowId,
      ONFIDO_WEBHOOK_TOKENS: onfidoSimulatorWebhookToken,
      ONFIDO_BASE_URL: `${server.url}/v3.6`,
    }
    await mkdir(join(directory, 'batch', 'evidence'), { recursive: true })
    await writeFile(
      join(directory, 'batch', 'evidence', 'front.jpg'),
      createJpeg({ width: 800, height: 520 }),
    )
    await writeFile(join(directory, 'batch', 'evidence', 'face.jpg'), createJpeg({ width: 600, height: 800 }))
    await writeFile(join(directory, 'outside.jpg'), createJpeg({ width: 800, height: 520 }))
    const csv = join(directory, 'batch', 'subjects.csv')
    await writeFile(
      csv,
      [
        'provider,subject_reference,country,document_types,first_name,last_name,document_front,selfie',
        'onfido,user-1,,,Ada,Lovelace,,',
        'onfido,user-2,GB,passport,Grace,Hopper,evidence/front.jpg,evidence/face.jpg',
        'onfido,user-3,GB,passport,Alan,Turing,../outside.jpg,evidence/face.jpg',
      ].join('\n'),
    )
    const run = await runBin(['bulk', 'run', csv, '--data-dir', join(directory, 'db'), '--json'], env)
    expect(run.stderr).toBe('')
    // One item failed (its evidence lies outside the CSV's directory): exit code 1.
    expect(run.code).toBe(1)
    expect(JSON.parse(run.stdout)).toMatchObject({ total: 3, done: 2, failed: 1, remaining: 0 })
    const posted = (path: RegExp) =>
      simulator.requests.filter((request) => request.method === 'POST' && path.test(request.path)).length
    // The hosted item has a workflow run; the API item its two uploads and a check; the refused item's
    // evidence was read before anything was created: no applicant for it, nothing from outside uploaded.
    expect(simulator.runs()).toHaveLength(1)
    expect(posted(/\/applicants$/)).toBe(2)
    expect(posted(/\/(documents|live_photos)$/)).toBe(2)
    expect(posted(/\/checks$/)).toBe(1)
    expect(run.stdout).not.toContain('outside')
  } finally {
    await server.close()
  }
}, 240_000)
