import { readFileSync } from 'node:fs'

/** A recorded vendor-shaped payload from `src/__fixtures__`, parsed fresh on every call. */
export function loadFixture(name: string): Record<string, unknown> {
  const url = new URL(`../src/__fixtures__/${name}.json`, import.meta.url)
  return JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>
}

/** The same payload as raw text, for callbacks and HTTP bodies. */
export function loadFixtureText(name: string): string {
  return readFileSync(new URL(`../src/__fixtures__/${name}.json`, import.meta.url), 'utf8')
}
