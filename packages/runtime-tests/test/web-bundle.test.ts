import { describe, expect, it } from 'vitest'
import { bundleForWeb, webEntries } from '../src/web-bundle.js'

// Issue 18: core and every adapter bundle for a web target with no Node built-in at all, as an
// application's bundler (esbuild here) builds them for a browser, a Worker or Deno Deploy.
describe('the pure web bundle', () => {
  for (const entry of webEntries) {
    for (const platform of ['browser', 'neutral'] as const) {
      it(`${entry} bundles for platform ${platform} without any Node built-in`, async () => {
        const bundle = await bundleForWeb({ entry, platform })
        expect(bundle.nodeBuiltins).toEqual([])
        expect(bundle.bytes).toBeGreaterThan(0)
        // Core's WebCrypto verification is in where webhooks are signed (Jumio's callbacks are not).
        if (entry !== '@openkyc/jumio')
          expect(bundle.code.includes("'HMAC'") || bundle.code.includes('"HMAC"')).toBe(true)
      })
    }
  }

  it('names every Node built-in a bundle would need, with the importing file (the check can fail)', async () => {
    const bundle = await bundleForWeb({
      entry: new URL('../src/node-host.ts', import.meta.url).pathname,
      platform: 'browser',
    })
    expect(bundle.nodeBuiltins.map((found) => found.module).sort()).toEqual(['node:http'])
    expect(bundle.nodeBuiltins[0]?.importer).toMatch(/node-host\.ts$/)
  })
})
