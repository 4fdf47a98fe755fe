import {
  computeHmacSha256,
  KycConfigurationError,
  KycInvalidProviderResponseError,
  KycWebhookVerificationError,
} from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import { splitPersonaSignatureHeader, verifyPersonaWebhook } from '../src/persona-webhook.js'
import { fixture } from './fixtures.js'

const secret = 'wbhsec_current-0000'
const oldSecret = 'wbhsec_previous-1111'
const nowSeconds = 1_708_040_897
const now = () => nowSeconds * 1000
const rawBody = JSON.stringify(fixture('event-inquiry-approved.json'))

/** A `t=…,v1=…` set signed the way Persona documents it. */
function signed(body: string, key: string, timestamp = nowSeconds): string {
  return `t=${timestamp},v1=${computeHmacSha256(key, `${timestamp}.${body}`)}`
}

function verify(
  header: string | undefined,
  options: { body?: string | Uint8Array; secrets?: string[] } = {},
) {
  return verifyPersonaWebhook({
    headers: new Headers(header === undefined ? {} : { 'Persona-Signature': header }),
    rawBody: options.body ?? rawBody,
    secrets: options.secrets ?? [secret],
    toleranceSeconds: 300,
    now,
  })
}

describe('verifyPersonaWebhook', () => {
  // Fails on main before issue 12: the adapter split the header into sets and verified each alone,
  // hashing the body once per set (a ~1,800-set header with a 1 MiB body held the loop ~2 s).
  it("regression: refuses a header packed with sets as a whole, with core's bounds", async () => {
    const packed = Array.from({ length: 1800 }, () => `t=${nowSeconds},v1=${'ab'.repeat(32)}`).join(' ')
    await expect(verify(packed)).rejects.toThrow(/too long/)
    const five = Array.from({ length: 5 }, (_, index) => signed(rawBody, 'wbhsec_other', nowSeconds - index))
    await expect(verify(five.join(' '))).rejects.toThrow(/too many timestamps/)
    expect((await verify(`${signed(rawBody, 'wbhsec_other')} ${signed(rawBody, secret)}`)).data.id).toBe(
      'evt_o9byQRbjygu76Jbtea9wuJ1boP7a',
    )
  })

  it('accepts a genuine delivery and returns its event', async () => {
    expect((await verify(signed(rawBody, secret))).data.id).toBe('evt_o9byQRbjygu76Jbtea9wuJ1boP7a')
  })

  it('accepts the raw bytes as well as text', async () => {
    expect(
      (await verify(signed(rawBody, secret), { body: new TextEncoder().encode(rawBody) })).data.type,
    ).toBe('event')
  })

  it('accepts either set during a rotation (space-separated), and either configured secret', async () => {
    const rotation = `${signed(rawBody, secret)} ${signed(rawBody, oldSecret)}`
    expect((await verify(rotation, { secrets: [secret] })).data.id).toBeTruthy()
    expect((await verify(rotation, { secrets: [oldSecret] })).data.id).toBeTruthy()
    expect((await verify(signed(rawBody, oldSecret), { secrets: [secret, oldSecret] })).data.id).toBeTruthy()
  })

  it.each([
    ['a missing header', undefined],
    ['a malformed header', 'garbage'],
    ['a wrong signature', signed(rawBody, 'wbhsec_attacker')],
    ['a stale timestamp', signed(rawBody, secret, nowSeconds - 301)],
    ['a timestamp from the future', signed(rawBody, secret, nowSeconds + 301)],
    ['a tampered body', signed(rawBody.replace('approved', 'declined'), secret)],
  ])('rejects %s without echoing signature, secret or body', async (_case, header) => {
    let caught: unknown
    try {
      await verify(header)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(KycWebhookVerificationError)
    const text = `${(caught as Error).message} ${JSON.stringify(caught)}`
    expect(text).not.toContain(secret)
    expect(text).not.toContain('Jane')
    if (header?.includes('v1=')) expect(text).not.toContain(header.split('v1=')[1]?.slice(0, 16))
  })

  it('accepts a timestamp just inside the tolerance', async () => {
    expect((await verify(signed(rawBody, secret, nowSeconds - 299))).data.id).toBeTruthy()
  })

  it('needs a configured secret', async () => {
    await expect(verify(signed(rawBody, secret), { secrets: [] })).rejects.toThrow(KycConfigurationError)
  })

  it('refuses a genuine body that is not an event document', async () => {
    const body = JSON.stringify({ hello: 'world' })
    await expect(verify(signed(body, secret), { body })).rejects.toThrow(KycInvalidProviderResponseError)
    await expect(verify(signed('{not json', secret), { body: '{not json' })).rejects.toThrow(
      KycInvalidProviderResponseError,
    )
  })
})

describe('splitPersonaSignatureHeader', () => {
  it.each([
    ['t=1,v1=aa', ['t=1,v1=aa']],
    ['t=1,v1=aa t=1,v1=bb', ['t=1,v1=aa', 't=1,v1=bb']],
    ['  t=1, v1=aa   t=2,v1=bb ', ['t=1,v1=aa', 't=2,v1=bb']],
    ['', []],
  ])('%j → %j', (header, sets) => {
    expect(splitPersonaSignatureHeader(header)).toEqual(sets)
  })
})
