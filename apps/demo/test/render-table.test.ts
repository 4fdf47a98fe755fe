import { scenarioById, scenarios } from '@openkyc/testkit/catalogue'
import { describe, expect, it } from 'vitest'
import { capabilityMatrix } from '../src/comparison.js'
import { createDemoState } from '../src/demo-state.js'
import { renderBoxTable, renderReport, wrapLine } from '../src/render-table.js'
import { runCatalogue } from '../src/run-catalogue.js'
import { createFakeRuntime } from './support/fake-runtime.js'

describe('wrapLine', () => {
  it('wraps at spaces and cuts words longer than the width', () => {
    expect(wrapLine('reasons: document_expired, face_mismatch', 20)).toEqual([
      'reasons:',
      'document_expired,',
      'face_mismatch',
    ])
    expect(wrapLine('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij'])
    expect(wrapLine('', 5)).toEqual([''])
  })
})

describe('renderBoxTable', () => {
  it('draws aligned rows with multi-line cells', () => {
    const table = renderBoxTable(
      [
        { heading: 'A', maxWidth: 10 },
        { heading: 'Longer heading', maxWidth: 6 },
      ],
      [
        [['one', 'two'], ['wrapped words']],
        [['x'], []],
      ],
    )
    const lines = table.split('\n')
    expect(new Set(lines.map((line) => line.length)).size).toBe(1)
    expect(lines).toEqual([
      '┌─────┬────────────────┐',
      '│ A   │ Longer heading │',
      '├─────┼────────────────┤',
      '│ one │ wrappe         │',
      '│ two │ d              │',
      '│     │ words          │',
      '├─────┼────────────────┤',
      '│ x   │                │',
      '└─────┴────────────────┘',
    ])
  })
})

describe('renderReport', () => {
  it('shows each applicant side by side, then agreement per kind, latency and capabilities', async () => {
    const jumio = createFakeRuntime({ name: 'jumio', capabilities: { lists: false, cases: false } })
    const persona = createFakeRuntime({
      name: 'persona',
      capabilities: { upload: false },
      decide: (scenario) =>
        scenario.id === 'repeated_face'
          ? {
              decision: {
                outcome: 'declined',
                reasons: [{ code: 'face_mismatch' }],
                decidedBy: 'provider',
                raw: { status: 'declined' },
              },
            }
          : {},
    })
    const state = createDemoState({
      providers: [
        { provider: 'jumio', mode: 'simulator', description: 'simulator at http://127.0.0.1:1' },
        { provider: 'persona', mode: 'live', description: 'Persona API (sandbox)' },
      ],
      capabilities: capabilityMatrix([
        { provider: 'jumio', capabilities: jumio.adapter.capabilities },
        { provider: 'persona', capabilities: persona.adapter.capabilities },
      ]),
    })
    await runCatalogue({ runtimes: [jumio, persona], scenarios, state, runId: 'x' })
    const report = renderReport(state.snapshot())

    expect(report).toContain(
      'OpenKYC demo: 11 applicants through Jumio (simulator at http://127.0.0.1:1) and Persona (Persona API (sandbox))',
    )
    expect(report).toMatch(/│ Applicant\s+│ Jumio\s+│ Persona\s+│ Agree │ Other differences\s+│/)
    expect(report).toMatch(
      /│ Repeated face\s+│ review {2}✓ as expected\s+│ declined {2}✗ unexpected\s+│ NO {4}│/,
    )
    expect(report).toContain('✗ outcome declined, expected review')
    expect(report).toContain('As the catalogue expects: Jumio 11/11 · Persona 10/11')
    expect(report).toContain('Agreement on the outcome: 10/11 (91%)')
    expect(report).toContain('  biometric   2/3 (67%)')
    expect(report).toMatch(/Jumio {7}\d+\.\d ms \/ \d+\.\d ms \/ \d+\.\d ms/)
    expect(report).toMatch(/│ upload\s+│ yes\s+│ –\s+│/)
    expect(report).toMatch(/│ lists\s+│ –\s+│ yes\s+│/)
    // Identity data never reaches the terminal.
    for (const scenario of scenarios) expect(report).not.toContain(scenario.applicant.lastName)
  })

  it('names checks of kind other by the vendor check name', async () => {
    const persona = createFakeRuntime({
      name: 'persona',
      decide: () => ({
        checks: [
          { kind: 'liveness', outcome: 'passed', reasons: [], raw: { name: 'selfie_liveness_detection' } },
          { kind: 'other', outcome: 'passed', reasons: [], raw: { name: 'selfie_glare_detection' } },
          { kind: 'other', outcome: 'warning', reasons: [], raw: { name: 'selfie_glasses_detection' } },
        ],
      }),
    })
    const state = createDemoState({
      providers: [{ provider: 'persona', mode: 'simulator', description: 'fake' }],
      capabilities: capabilityMatrix([{ provider: 'persona', capabilities: persona.adapter.capabilities }]),
    })
    await runCatalogue({ runtimes: [persona], scenarios: [scenarioById('clean_approve')], state, runId: 'x' })
    // The cell wraps; read it as one line.
    const report = renderReport(state.snapshot()).replace(/[\s│]+/g, ' ')
    expect(report).toContain(
      'checks: 1 passed, other (selfie_glare_detection) passed, other (selfie_glasses_detection) warning',
    )
  })

  it('leaves out the comparison columns for a single provider', async () => {
    const jumio = createFakeRuntime({ name: 'jumio' })
    const state = createDemoState({
      providers: [{ provider: 'jumio', mode: 'simulator', description: 'fake' }],
      capabilities: capabilityMatrix([{ provider: 'jumio', capabilities: jumio.adapter.capabilities }]),
    })
    await runCatalogue({ runtimes: [jumio], scenarios: [scenarioById('underage')], state, runId: 'x' })
    const report = renderReport(state.snapshot())
    expect(report).toContain('OpenKYC demo: 1 applicant through Jumio (fake)')
    expect(report).not.toContain('Agree')
    expect(report).not.toContain('Agreement on the outcome')
  })
})
