import type { z } from 'zod'

const marker = Symbol.for('@openkyc/core/error')

/** The machine-readable kind of a {@link KycError}. */
export type KycErrorCode =
  | 'authentication'
  | 'not_found'
  | 'rate_limited'
  | 'invalid_request'
  | 'invalid_provider_response'
  | 'provider_unavailable'
  | 'webhook_verification'
  | 'unsupported_capability'
  | 'outside_coverage'
  | 'invalid_state'
  | 'configuration'
  | 'store_unavailable'
  | 'store_conflict'
  | 'store_integrity'

/** What every {@link KycError} constructor accepts. `message` must never hold personal data or secrets. */
export type KycErrorOptions = {
  message: string
  /** The adapter's provider name, when the error comes from a provider. */
  provider?: string
  /** The HTTP status the provider answered with. */
  status?: number
  /** The provider's request id, for support tickets. */
  requestId?: string
  /** The underlying error. Kept for debugging, never serialized by `toJSON`. */
  cause?: unknown
}

/**
 * The base of every error OpenKYC throws. Recognise it with {@link isKycError} or `KycError.isInstance`,
 * which work across duplicate copies of this package (a `Symbol.for` marker, not `instanceof`).
 *
 * Messages are written by us from safe parts only; vendor bodies and request data are never copied
 * into them. `JSON.stringify(error)` emits the safe fields and drops `cause`.
 */
export class KycError extends Error {
  /** Set on every instance; see {@link isKycError}. */
  readonly [marker] = true
  readonly code: KycErrorCode = 'configuration'
  readonly provider: string | undefined
  readonly status: number | undefined
  readonly requestId: string | undefined
  /** Whether trying the same call again later may succeed. */
  readonly retryable: boolean = false

  constructor(options: KycErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause })
    // Each of ours spells its name out as a field (a minifying bundler renames classes, and the name
    // is part of the contract); a subclass written elsewhere gets its class name.
    this.name = new.target.name
    this.provider = options.provider
    this.status = options.status
    this.requestId = options.requestId
  }

  /**
   * True when `value` is an error of this class or one of its subclasses, including one thrown by another
   * copy of this package: `KycError.isInstance(e)` accepts every OpenKYC error,
   * `KycNotFoundError.isInstance(e)` only not-found errors. Across copies the class is recognised by name
   * along the prototype chain, since `instanceof` cannot see through duplicate packages.
   */
  static isInstance<T extends KycError>(
    this: abstract new (
      ...args: never[]
    ) => T,
    value: unknown,
  ): value is T {
    if (typeof value !== 'object' || value === null) return false
    if ((value as Record<symbol, unknown>)[marker] !== true) return false
    // biome-ignore lint/complexity/noThisInStatic: the class it is called on decides which errors it accepts.
    // biome-ignore lint/complexity/noUselessThisAlias: named once, for the three uses below.
    const wanted = this
    if ((wanted as unknown) === KycError || value instanceof wanted) return true
    for (let proto = Object.getPrototypeOf(value); proto !== null; proto = Object.getPrototypeOf(proto)) {
      if (Object.hasOwn(proto, 'constructor') && proto.constructor.name === wanted.name) return true
    }
    return false
  }

  /** The safe, serializable view: no `cause`, no stack. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      provider: this.provider,
      status: this.status,
      requestId: this.requestId,
      retryable: this.retryable,
    }
  }
}

/** True for any {@link KycError}, including one thrown by another copy of this package. */
export function isKycError(value: unknown): value is KycError {
  return KycError.isInstance(value)
}

/** The provider rejected our credentials (HTTP 401/403), or a token could not be obtained. */
export class KycAuthenticationError extends KycError {
  override readonly name: string = 'KycAuthenticationError'
  override readonly code = 'authentication'
}

/** The verification (or list, case, account) does not exist at the provider, or was deleted. */
export class KycNotFoundError extends KycError {
  override readonly name: string = 'KycNotFoundError'
  override readonly code = 'not_found'
}

/** The provider throttled us (HTTP 429) and retries were exhausted or disabled. */
export class KycRateLimitedError extends KycError {
  override readonly name: string = 'KycRateLimitedError'
  override readonly code = 'rate_limited'
  override readonly retryable = true
  /** How long the provider asked us to wait, when it said. */
  readonly retryAfterMs: number | undefined

  constructor(options: KycErrorOptions & { retryAfterMs?: number }) {
    super(options)
    this.retryAfterMs = options.retryAfterMs
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAfterMs: this.retryAfterMs }
  }
}

/** One problem with a request: where, and what. Never the offending value. */
export type KycIssue = { path: (string | number)[]; message: string; code?: string }

/** What a constructor accepts as issues: ours, or zod's (only their paths, messages and codes are kept). */
export type KycIssueInput = readonly KycIssue[] | readonly z.core.$ZodIssue[]

/**
 * Issues as one line for an error message: `prefill.dateOfBirth: Invalid ISO date; country: expected …`
 * (the path and the rule, never the value). At most `limit` issues are spelled out; the rest are counted.
 *
 * @example
 * ```ts
 * throw new KycInvalidRequestError({
 *   provider: 'acme',
 *   message: `acme createVerification: invalid options: ${describeIssues(parsed.error.issues)}.`,
 *   issues: parsed.error.issues,
 * })
 * ```
 */
export function describeIssues(issues: KycIssueInput, limit = 3): string {
  const described = issues.slice(0, limit).map((issue) => {
    const path = issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part)).join('.')
    const rule = issue.message.replace(/\.$/, '')
    return path === '' ? rule : `${path}: ${rule}`
  })
  const more = issues.length - described.length
  return more > 0 ? `${described.join('; ')} (and ${more} more)` : described.join('; ')
}

/** A {@link KycError} that lists where a payload departed from its schema (paths and messages, never values). */
export abstract class KycErrorWithIssues extends KycError {
  /** Paths and messages of the problems, without the offending values. */
  readonly issues: KycIssue[]

  constructor(options: KycErrorOptions & { issues?: KycIssueInput }) {
    super(options)
    this.issues = (options.issues ?? []).map((issue) => ({
      path: issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part)),
      message: issue.message,
      ...(issue.code === undefined ? {} : { code: issue.code }),
    }))
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), issues: this.issues }
  }
}

/** What we were asked to send is invalid: caught by our schemas, or refused by the provider (HTTP 400/422). */
export class KycInvalidRequestError extends KycErrorWithIssues {
  override readonly name: string = 'KycInvalidRequestError'
  override readonly code = 'invalid_request'
}

/** The provider answered with something we cannot read: malformed JSON or an unexpected shape. */
export class KycInvalidProviderResponseError extends KycErrorWithIssues {
  override readonly name: string = 'KycInvalidProviderResponseError'
  override readonly code = 'invalid_provider_response'
}

/** The provider is down or unreachable (5xx, network failure, timeout) after retries. */
export class KycProviderUnavailableError extends KycError {
  override readonly name: string = 'KycProviderUnavailableError'
  override readonly code = 'provider_unavailable'
  override readonly retryable = true
}

/** A webhook failed verification: bad or missing signature, tampered body, stale timestamp, unknown source. */
export class KycWebhookVerificationError extends KycError {
  override readonly name: string = 'KycWebhookVerificationError'
  override readonly code = 'webhook_verification'
}

/** The adapter does not declare the capability this call needs. Thrown before any request is sent. */
export class KycUnsupportedCapabilityError extends KycError {
  override readonly name: string = 'KycUnsupportedCapabilityError'
  override readonly code = 'unsupported_capability'
  /** The capability that was asked for. */
  readonly capability: string

  constructor(options: Omit<KycErrorOptions, 'message'> & { capability: string; message?: string }) {
    super({
      ...options,
      message:
        options.message ??
        `The ${options.provider ?? 'selected'} adapter does not support the "${options.capability}" capability.`,
    })
    this.capability = options.capability
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), capability: this.capability }
  }
}

/**
 * Routing found no provider for the request: its country, document types or channel are outside the
 * coverage of every provider it could go to. Thrown before any request is sent. The message names the
 * providers and why each was skipped, never request values beyond the country code and document types.
 */
export class KycOutsideCoverageError extends KycError {
  override readonly code = 'outside_coverage'
}

/** The call is not allowed in the verification's current state (for example, approving an expired one). */
export class KycInvalidStateError extends KycError {
  override readonly name: string = 'KycInvalidStateError'
  override readonly code = 'invalid_state'
}

/** OpenKYC is misconfigured: a missing setting or environment variable, an unknown provider. */
export class KycConfigurationError extends KycError {
  override readonly name: string = 'KycConfigurationError'
  override readonly code = 'configuration'
}

/**
 * The store cannot be used right now: unreachable, timed out, or the connection dropped mid-transaction.
 * Nothing of the interrupted transaction was committed; trying again later may succeed.
 */
export class KycStoreUnavailableError extends KycError {
  override readonly name: string = 'KycStoreUnavailableError'
  override readonly code = 'store_unavailable'
  override readonly retryable = true
}

/**
 * A store operation lost a race it must not win: the claim on an event was no longer held when it was
 * completed (its lease expired and another delivery reclaimed it). The transaction was rolled back;
 * the other holder's processing is the one that counts.
 */
export class KycStoreConflictError extends KycError {
  override readonly name: string = 'KycStoreConflictError'
  override readonly code = 'store_conflict'
  override readonly retryable = true
}

/**
 * What the store holds cannot be trusted or read: a corrupt or foreign row, a schema the code does not
 * know (a missing migration), a broken audit chain. Retrying does not help; the message says what to do.
 */
export class KycStoreIntegrityError extends KycError {
  override readonly name: string = 'KycStoreIntegrityError'
  override readonly code = 'store_integrity'
}
