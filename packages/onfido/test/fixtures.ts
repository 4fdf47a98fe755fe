import { readFileSync } from 'node:fs'

/** A recorded vendor-shaped payload from `src/__fixtures__`, parsed as JSON (a fresh copy each call). */
export function fixture<T = unknown>(name: string): T {
  return JSON.parse(fixtureText(name)) as T
}

/** A fixture's exact bytes, as text (for signatures over the raw body). */
export function fixtureText(name: string): string {
  return readFileSync(new URL(`../src/__fixtures__/${name}`, import.meta.url), 'utf8')
}

/** The ids the fixtures share. */
export const ids = {
  applicant: '6f2b4d1e-3c5a-4f8b-9d7e-1a2b3c4d5e6f',
  workflowRun: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  workflow: '3c6e2f1a-8b4d-4c9e-a7f5-2d1e0b9c8a7f',
  check: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e',
} as const

/** Personal data seeded in the fixtures (Onfido's sandbox applicant), searched for where it must not be. */
export const fixturePersonalData = ['Jane', 'Doe', '1990-01-01', '999999999', 'P<GBRDOE', 'SW4 6EH']

/** Settings every unit test shares. */
export const testSettings = {
  apiToken: 'api_sandbox.secret-token-value',
  workflowId: ids.workflow,
  webhookTokens: ['_ABC123abc123ABC123abc123ABC123_'],
  env: {},
} as const
