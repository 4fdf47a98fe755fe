import { decodeBase64 } from '../crypto/encoding.js'
import { KycConfigurationError } from '../errors.js'

/** The environment variable holding the raw archive's keys. Unset: the archive is off. */
export const archiveKeysVariable = 'OPENKYC_ARCHIVE_KEYS'

/**
 * The raw archive's AES-256-GCM keys. The first encrypts; every one decrypts, so a key can be rotated
 * by putting a new one first and dropping the old one once every payload it encrypted has expired.
 */
export type ArchiveKeyring = {
  /** The id written beside every new payload. */
  readonly encryptingKeyId: string
  /** Every key id, newest first. */
  readonly keyIds: readonly string[]
  /** The WebCrypto key with this id, or `undefined` when the keyring does not hold it. */
  key(id: string): Promise<CryptoKey | undefined>
}

const keyIdPattern = /^[A-Za-z0-9_-]{1,32}$/

function keyProblem(message: string): KycConfigurationError {
  return new KycConfigurationError({ message: `${archiveKeysVariable}: ${message}` })
}

/**
 * Parses the archive keys: a comma-separated list of `<key id>:<base64 of 32 random bytes>`, newest
 * first (`2026-12:q3v…=,2026-06:Zx1…=`). Key ids are 1 to 32 letters, digits, `-` or `_`, unique.
 * Make a key with `openssl rand -base64 32`. Throws `KycConfigurationError` naming the entry's
 * position (never its value) when an entry is malformed.
 *
 * @example
 * ```ts
 * const keys = parseArchiveKeys(process.env.OPENKYC_ARCHIVE_KEYS ?? '')
 * const archive = createRawArchive({ store: store.archive, keys })
 * ```
 */
export function parseArchiveKeys(text: string): ArchiveKeyring {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
  if (entries.length === 0) throw keyProblem('no key given; expected "<key id>:<base64 of 32 bytes>"')
  const material = new Map<string, Uint8Array<ArrayBuffer>>()
  entries.forEach((entry, index) => {
    const separator = entry.indexOf(':')
    const id = entry.slice(0, Math.max(separator, 0))
    if (separator < 0 || !keyIdPattern.test(id)) {
      throw keyProblem(
        `entry ${index + 1} must be "<key id>:<base64 key>" with a key id of 1 to 32 letters, digits, - or _`,
      )
    }
    if (material.has(id)) throw keyProblem(`key id "${id}" appears twice`)
    const bytes = decodeBase64(entry.slice(separator + 1).trim())
    if (bytes === undefined) throw keyProblem(`the key of "${id}" is not base64`)
    if (bytes.length !== 32) {
      throw keyProblem(
        `the key of "${id}" must be 32 bytes (AES-256), base64: make one with openssl rand -base64 32`,
      )
    }
    material.set(id, bytes)
  })
  const imported = new Map<string, Promise<CryptoKey>>()
  const keyIds = [...material.keys()]
  return {
    encryptingKeyId: keyIds[0] as string,
    keyIds,
    key(id) {
      const bytes = material.get(id)
      if (bytes === undefined) return Promise.resolve(undefined)
      let key = imported.get(id)
      if (key === undefined) {
        key = crypto.subtle.importKey('raw', bytes, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt'])
        imported.set(id, key)
      }
      return key
    },
  }
}
