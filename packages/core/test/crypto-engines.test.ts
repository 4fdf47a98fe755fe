import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bytesToHex, decodeBase64, encodeBase64, hexToBytes } from '../src/crypto/encoding.js'
import { cryptoEngine as nodeEngine } from '../src/crypto/node-crypto.js'
import { cryptoEngine as webEngine } from '../src/crypto/web-crypto.js'

// Core hashes through `#crypto`: node:crypto on Node, WebCrypto (+ @noble/hashes for synchronous
// digests) everywhere else. Both must give the same bytes for every input, or a delivery verified on
// a Worker would fail on Node and an audit chain written on one runtime would not verify on another.

const part = fc.oneof(fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 600 }))
const secret = fc.oneof(
  fc.string({ minLength: 1, maxLength: 80 }),
  fc.uint8Array({ minLength: 1, maxLength: 80 }),
)

describe('the node:crypto and WebCrypto engines', () => {
  it('give identical HMAC-SHA256 results, async and sync, as bytes and hex (property)', async () => {
    await fc.assert(
      fc.asyncProperty(secret, fc.array(part, { maxLength: 3 }), async (key, parts) => {
        const expected = await nodeEngine.hmacSha256Hex(key, parts)
        expect(await webEngine.hmacSha256Hex(key, parts)).toBe(expected)
        expect(bytesToHex(await webEngine.hmacSha256(key, parts))).toBe(expected)
        expect(bytesToHex(await nodeEngine.hmacSha256(key, parts))).toBe(expected)
        expect(bytesToHex(webEngine.hmacSha256Sync(key, parts))).toBe(expected)
        expect(bytesToHex(nodeEngine.hmacSha256Sync(key, parts))).toBe(expected)
        expect(webEngine.hmacSha256HexSync(key, parts)).toBe(expected)
        expect(nodeEngine.hmacSha256HexSync(key, parts)).toBe(expected)
      }),
      { numRuns: 300 },
    )
  })

  it('match RFC 4231 test case 2 and a long key (case 6, key longer than the block)', async () => {
    for (const engine of [nodeEngine, webEngine]) {
      expect(await engine.hmacSha256Hex('Jefe', ['what do ya want ', 'for nothing?'])).toBe(
        '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
      )
      expect(
        await engine.hmacSha256Hex(new Uint8Array(131).fill(0xaa), [
          'Test Using Larger Than Block-Size Key - Hash Key First',
        ]),
      ).toBe('60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54')
    }
  })

  it('give identical SHA-256 digests (property) and the FIPS 180-2 "abc" vector', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), (text) => {
        expect(webEngine.sha256Hex(text)).toBe(nodeEngine.sha256Hex(text))
        expect(bytesToHex(webEngine.sha256(text))).toBe(bytesToHex(nodeEngine.sha256(text)))
      }),
    )
    for (const engine of [nodeEngine, webEngine]) {
      expect(engine.sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    }
  })

  it('compare bytes alike: equal only when every byte and the length match', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (left, right) => {
        const equal = bytesToHex(left) === bytesToHex(right)
        expect(webEngine.timingSafeEqualBytes(left, right)).toBe(equal)
        expect(nodeEngine.timingSafeEqualBytes(left, right)).toBe(equal)
        expect(webEngine.timingSafeEqualBytes(left, left)).toBe(true)
      }),
    )
  })

  it('keep using the cached key for a secret and answer the same after many secrets evicted it', async () => {
    const first = await webEngine.hmacSha256Hex('cached-secret', ['body'])
    for (let index = 0; index < 100; index += 1) await webEngine.hmacSha256Hex(`other-${index}`, ['body'])
    expect(await webEngine.hmacSha256Hex('cached-secret', ['body'])).toBe(first)
    expect(first).toBe(await nodeEngine.hmacSha256Hex('cached-secret', ['body']))
  })

  it('node:crypto: keep using the cached secret key and answer the same after many secrets evicted it', () => {
    const first = nodeEngine.hmacSha256HexSync('cached-secret', ['body'])
    for (let index = 0; index < 100; index += 1) nodeEngine.hmacSha256HexSync(`other-${index}`, ['body'])
    expect(nodeEngine.hmacSha256HexSync('cached-secret', ['body'])).toBe(first)
    expect(first).toBe(webEngine.hmacSha256HexSync('cached-secret', ['body']))
    // An empty secret is hashed as it is, not through a cached key object.
    expect(nodeEngine.hmacSha256HexSync('', ['body'])).toBe(webEngine.hmacSha256HexSync('', ['body']))
  })

  it("node:crypto: the verifiers' hex HMAC equals createHmac for every key length, text and size (property)", () => {
    // Keys around the 64-byte block (shorter, equal, longer: hashed first) and multi-byte text, bodies
    // around the 16 KiB the one-shot path takes (larger ones go through createHmac).
    const key = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 100 }),
      fc.integer({ min: 1, max: 140 }).map((length) => 'k'.repeat(length)),
    )
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 400 }),
      fc
        .integer({ min: 5_300, max: 16_400 })
        .map((length) => 'é'.repeat(length >> 1) + 'x'.repeat(length & 1)),
    )
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      fc.integer({ min: 16_000, max: 16_400 }).map((length) => new Uint8Array(length).fill(7)),
    )
    fc.assert(
      fc.property(key, fc.array(fc.oneof(text, bytes), { minLength: 1, maxLength: 3 }), (secret, parts) => {
        const reference = createHmac('sha256', secret)
        for (const part of parts) reference.update(part)
        expect(nodeEngine.hmacSha256HexSync(secret, parts)).toBe(reference.digest('hex'))
      }),
      { numRuns: 300 },
    )
  })

  it('say which HMAC the verifiers should call: synchronous on Node only', () => {
    expect(nodeEngine.synchronousHmacIsFastest).toBe(true)
    expect(webEngine.synchronousHmacIsFastest).toBe(false)
  })
})

describe('Web-standard byte encodings', () => {
  it('write and read hex and base64 exactly as Buffer does (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100_000 }), (bytes) => {
        const buffer = Buffer.from(bytes)
        expect(bytesToHex(bytes)).toBe(buffer.toString('hex'))
        expect(encodeBase64(bytes)).toBe(buffer.toString('base64'))
        expect(hexToBytes(buffer.toString('hex'))).toEqual(new Uint8Array(bytes))
        expect(decodeBase64(buffer.toString('base64'))).toEqual(new Uint8Array(bytes))
        expect(decodeBase64(buffer.toString('base64url'))).toEqual(new Uint8Array(bytes))
      }),
      { numRuns: 50 },
    )
    expect(encodeBase64('clïent:sécret')).toBe(Buffer.from('clïent:sécret', 'utf8').toString('base64'))
  })

  it('refuse what is not hex or base64', () => {
    for (const text of ['abc', 'zz', '0x12']) expect(hexToBytes(text)).toBeUndefined()
    for (const text of ['a', 'ab$c', 'ab=c', 'abcde']) expect(decodeBase64(text)).toBeUndefined()
  })
})
