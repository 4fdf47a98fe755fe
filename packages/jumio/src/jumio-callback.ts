import { BlockList, isIP } from 'node:net'
import { KycWebhookVerificationError } from '@openkyc/core'
import { type JumioCallback, jumioCallbackSchema } from './jumio-schemas.js'
import { jumioProvider } from './map-jumio-verification.js'

const decoder = new TextDecoder()

/**
 * Reads a Jumio callback body. Jumio does not sign callbacks, so the body only tells which workflow
 * execution to look at; anything that is not a callback's shape cannot be from Jumio and is rejected
 * with `KycWebhookVerificationError` (the message never quotes the body).
 *
 * @see KYX implementation guide "Callback" (G23), Jumio docs "Callback" (DOC); `docs/reference/jumio-api.md` §5
 */
export function parseJumioCallback(rawBody: Uint8Array | string): JumioCallback {
  const text = typeof rawBody === 'string' ? rawBody : decoder.decode(rawBody)
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new KycWebhookVerificationError({
      provider: jumioProvider,
      message: 'The Jumio callback body is not JSON.',
    })
  }
  const parsed = jumioCallbackSchema.safeParse(body)
  if (!parsed.success) {
    throw new KycWebhookVerificationError({
      provider: jumioProvider,
      message: 'The Jumio callback body does not name an account and a workflow execution.',
    })
  }
  return parsed.data
}

/**
 * A check of the callback's source address against an allow-list of addresses and CIDR ranges
 * (Jumio publishes its callback IPs and asks integrators to allow-list them). IPv4-mapped IPv6
 * addresses (`::ffff:52.8.136.236`) match their IPv4 entry.
 */
export function createCallbackSourceCheck(
  allowed: readonly string[],
): (remoteAddress: string | undefined) => void {
  const list = new BlockList()
  for (const entry of allowed) {
    const [address = '', prefix] = entry.split('/')
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4'
    if (prefix === undefined) list.addAddress(address, family)
    else list.addSubnet(address, Number(prefix), family)
  }
  return (remoteAddress) => {
    const address = remoteAddress?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '')
    const family = address === undefined ? 0 : isIP(address)
    if (address === undefined || family === 0) {
      throw new KycWebhookVerificationError({
        provider: jumioProvider,
        message:
          'The Jumio callback source address is unknown; pass remoteAddress to parseWebhook, or turn verifyCallbackSource off.',
      })
    }
    if (!list.check(address, family === 6 ? 'ipv6' : 'ipv4')) {
      throw new KycWebhookVerificationError({
        provider: jumioProvider,
        message:
          'The Jumio callback came from an address that is not on the allow-list of Jumio callback IPs.',
      })
    }
  }
}
