import { KycConfigurationError, KycWebhookVerificationError } from '@openkyc/core'
import ipaddr from 'ipaddr.js'
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

type IpAddress = ipaddr.IPv4 | ipaddr.IPv6

/**
 * An address in its strict textual form (dotted-quad IPv4 or IPv6), IPv4-mapped IPv6 addresses
 * (`::ffff:52.8.136.236`) as their IPv4 address; `undefined` for anything else (`127.1`, `0x7f.0.0.1`
 * and other legacy forms are refused, as `node:net`'s `isIP` refuses them).
 */
function parseIpAddress(text: string): IpAddress | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text)
  if (!text.includes(':') || text.includes('%') || !ipaddr.IPv6.isValid(text)) return undefined
  const address = ipaddr.IPv6.parse(text)
  return address.isIPv4MappedAddress() ? address.toIPv4Address() : address
}

/**
 * A check of the callback's source address against an allow-list of addresses and CIDR ranges
 * (Jumio publishes its callback IPs and asks integrators to allow-list them). IPv4-mapped IPv6
 * addresses (`::ffff:52.8.136.236`) match their IPv4 entry. Web-standard (no `node:net`), so it runs
 * on every runtime.
 */
export function createCallbackSourceCheck(
  allowed: readonly string[],
): (remoteAddress: string | undefined) => void {
  const ranges = allowed.map((entry): [IpAddress, number] => {
    const [text = '', prefix] = entry.split('/')
    const address = parseIpAddress(text)
    const bits = address?.kind() === 'ipv6' ? 128 : 32
    const length = prefix === undefined ? bits : /^\d{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN
    if (address === undefined || !(length >= 0 && length <= bits)) {
      throw new KycConfigurationError({
        provider: jumioProvider,
        message: 'A Jumio callback source address is not an IP address or CIDR range.',
      })
    }
    return [address, length]
  })
  return (remoteAddress) => {
    const address = remoteAddress === undefined ? undefined : parseIpAddress(remoteAddress)
    if (address === undefined) {
      throw new KycWebhookVerificationError({
        provider: jumioProvider,
        message:
          'The Jumio callback source address is unknown; pass remoteAddress to parseWebhook, or turn verifyCallbackSource off.',
      })
    }
    const allowedSource = ranges.some(
      ([range, length]) => range.kind() === address.kind() && address.match(range, length),
    )
    if (!allowedSource) {
      throw new KycWebhookVerificationError({
        provider: jumioProvider,
        message:
          'The Jumio callback came from an address that is not on the allow-list of Jumio callback IPs.',
      })
    }
  }
}
