import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanEnvironment } from './support/run-cli.js'

/**
 * The simulators' README snippets, run as a reader pastes them. They live here because the demo
 * depends on both adapters and both simulators, while a simulator never depends on its adapter.
 */
const demoDirectory = fileURLToPath(new URL('../', import.meta.url))
const scratch: string[] = []

afterAll(async () => {
  await Promise.all(scratch.map((directory) => rm(directory, { recursive: true, force: true })))
})

async function runSnippets(simulator: string): Promise<{ code: number; stdout: string; stderr: string }[]> {
  const readme = await readFile(join(demoDirectory, 'node_modules', simulator, 'README.md'), 'utf8')
  const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!)
  expect(snippets.length).toBeGreaterThan(0)
  // Inside the demo's folder, so the snippet's imports resolve as in an application that installed them.
  const directory = await mkdtemp(join(demoDirectory, '.readme-snippet-'))
  scratch.push(directory)
  return Promise.all(
    snippets.map(async (source, index) => {
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      })
      const file = join(directory, `snippet-${index}.mjs`)
      await writeFile(file, outputText)
      return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [file],
          { cwd: directory, env: cleanEnvironment(), timeout: 30_000 },
          (error, stdout, stderr) => {
            resolve({
              code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1,
              stdout,
              stderr,
            })
          },
        )
      })
    }),
  )
}

describe('the simulator READMEs', () => {
  it('Jumio: the snippet creates a verification in process, then listens on a port', async () => {
    const [run] = await runSnippets('@openkyc/simulator-jumio')
    expect(run?.code, run?.stderr).toBe(0)
    expect(run?.stdout).toMatch(/^created https:\/\/\S+\/web\/v4\/app\?authorizationToken=/)
    expect(run?.stdout).toMatch(/\nhttp:\/\/127\.0\.0\.1:\d+\n$/)
  })

  it('Persona: the snippet creates an inquiry, resolves it to a scenario and reads the decision', async () => {
    const [run] = await runSnippets('@openkyc/simulator-persona')
    expect(run?.code, run?.stderr).toBe(0)
    expect(run?.stdout).toContain('declined')
    expect(run?.stdout).toContain("code: 'document_expired'")
  })
})
