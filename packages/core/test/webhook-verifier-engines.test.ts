import { beforeAll, describe, expect, it, vi } from 'vitest'
import type { CryptoEngine } from '../src/crypto/crypto-engine.js'
import {
  KycWebhookVerificationError,
  signBody,
  signTimestampedPayload,
  verifyBodySignature,
  verifyTimestampedSignature,
} from '../src/index.js'

// The verifiers hash synchronously on Node (node:crypto, no promise) and through WebCrypto on every
// other runtime. Both paths run here, on the same deliveries, and must accept and refuse alike.
// `#crypto` (node-crypto.ts under the test alias) is replaced by a switch between the two engines,
// loaded unmocked below.
const current = vi.hoisted(() => ({ engine: undefined as unknown as CryptoEngine }))
vi.mock('#crypto', () => ({
  cryptoEngine: new Proxy({} as CryptoEngine, {
    get: (_target, property) => current.engine[property as keyof CryptoEngine],
  }),
}))
const engines = {} as Record<'node' | 'web', CryptoEngine>
beforeAll(async () => {
  type EngineModule = { cryptoEngine: CryptoEngine }
  engines.node = (await vi.importActual<EngineModule>('../src/crypto/node-crypto.js')).cryptoEngine
  engines.web = (await vi.importActual<EngineModule>('../src/crypto/web-crypto.js')).cryptoEngine
  expect(engines.node.synchronousHmacIsFastest).toBe(true)
  expect(engines.web.synchronousHmacIsFastest).toBe(false)
})

const secret = 'wbhsec_engines'
const rawBody = JSON.stringify({
  payload: { resource_type: 'workflow_run', action: 'workflow_run.completed' },
})
const nowSeconds = 1_764_686_826
const now = () => nowSeconds * 1000

/** What each verification answered: accepted, or the error's class and message. */
async function outcomes(engine: CryptoEngine): Promise<string[]> {
  current.engine = engine
  const hex = signBody({ rawBody, secret, encoding: 'hex' })
  const base64 = signBody({ rawBody, secret, encoding: 'base64' })
  const timestamped = signTimestampedPayload({ rawBody, secrets: secret, timestamp: nowSeconds })
  const attempts: (() => Promise<unknown>)[] = [
    () => verifyBodySignature({ header: hex, rawBody, secrets: [secret], encoding: 'hex' }),
    () => verifyBodySignature({ header: hex.toUpperCase(), rawBody, secrets: [secret], encoding: 'hex' }),
    () => verifyBodySignature({ header: base64, rawBody, secrets: ['other', secret], encoding: 'base64' }),
    () => verifyBodySignature({ header: hex, rawBody: `${rawBody} `, secrets: [secret], encoding: 'hex' }),
    () => verifyBodySignature({ header: 'zz'.repeat(32), rawBody, secrets: [secret], encoding: 'hex' }),
    () => verifyTimestampedSignature({ header: timestamped, rawBody, secrets: [secret], now }),
    () =>
      verifyTimestampedSignature({
        header: timestamped.toUpperCase().replace('T=', 't=').replace('V1=', 'v1='),
        rawBody,
        secrets: [secret],
        now,
      }),
    () => verifyTimestampedSignature({ header: timestamped, rawBody: `${rawBody} `, secrets: [secret], now }),
    () => verifyTimestampedSignature({ header: timestamped, rawBody, secrets: ['other'], now }),
  ]
  const answers: string[] = []
  for (const attempt of attempts) {
    try {
      await attempt()
      answers.push('accepted')
    } catch (error) {
      expect(error).toBeInstanceOf(KycWebhookVerificationError)
      answers.push(`${(error as Error).name}: ${(error as Error).message}`)
    }
  }
  return answers
}

describe('webhook verifiers on both crypto engines', () => {
  it('accept and refuse the same deliveries with the same errors on node:crypto and WebCrypto', async () => {
    const onNode = await outcomes(engines.node)
    const onWeb = await outcomes(engines.web)
    expect(onWeb).toEqual(onNode)
    expect(onNode.map((answer) => answer === 'accepted')).toEqual([
      true,
      true,
      true,
      false,
      false,
      true,
      true,
      false,
      false,
    ])
  })

  it('hash synchronously on node:crypto and through WebCrypto elsewhere', async () => {
    const header = signBody({ rawBody, secret, encoding: 'hex' })
    for (const [name, engine] of Object.entries(engines)) {
      current.engine = engine
      const synchronous = vi.spyOn(engine, 'hmacSha256HexSync')
      const asynchronous = vi.spyOn(engine, 'hmacSha256Hex')
      await verifyBodySignature({ header, rawBody, secrets: [secret], encoding: 'hex' })
      await verifyTimestampedSignature({
        header: signTimestampedPayload({ rawBody, secrets: secret, timestamp: nowSeconds }),
        rawBody,
        secrets: [secret],
        now,
      })
      expect([name, synchronous.mock.calls.length, asynchronous.mock.calls.length]).toEqual(
        name === 'node' ? ['node', 2, 0] : ['web', 0, 2],
      )
      synchronous.mockRestore()
      asynchronous.mockRestore()
    }
  })
})
