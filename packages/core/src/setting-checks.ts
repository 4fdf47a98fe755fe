import { KycConfigurationError } from './errors.js'

/** @internal A number that is neither NaN nor infinite. */
export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

/** Where a setting checked by {@link assertClock} or {@link assertTolerance} belongs, for its error message. */
export type SettingOwner = {
  /** The adapter's provider name, carried by the error. */
  provider?: string
  /** The option's name as the user writes it (`webhookToleranceSeconds`). Named in the message. */
  setting?: string
}

/**
 * Throws `KycConfigurationError` unless `now` is absent (the default clock applies) or a function
 * that returns a finite number of milliseconds. Adapter factories call it at creation, so a broken
 * clock fails at start-up instead of disabling replay protection later. The message names the
 * setting, never its value.
 *
 * @example
 * ```ts
 * assertClock(options.now, { provider: 'acme', setting: 'now' })
 * ```
 */
export function assertClock(
  now: unknown,
  owner: SettingOwner = {},
): asserts now is (() => number) | undefined {
  if (now === undefined) return
  if (typeof now !== 'function' || !isFiniteNumber(now())) {
    throw new KycConfigurationError({
      provider: owner.provider,
      message: `Invalid setting ${owner.setting ?? 'now'}: it must be a function returning a finite time in milliseconds.`,
    })
  }
}

/**
 * Throws `KycConfigurationError` unless `toleranceSeconds` is absent (the default applies) or a finite
 * number greater than 0. A NaN or infinite tolerance would accept a signature of any age.
 *
 * @example
 * ```ts
 * assertTolerance(options.webhookToleranceSeconds, { provider: 'acme', setting: 'webhookToleranceSeconds' })
 * ```
 */
export function assertTolerance(
  toleranceSeconds: unknown,
  owner: SettingOwner = {},
): asserts toleranceSeconds is number | undefined {
  if (toleranceSeconds === undefined) return
  if (!isFiniteNumber(toleranceSeconds) || toleranceSeconds <= 0) {
    throw new KycConfigurationError({
      provider: owner.provider,
      message: `Invalid setting ${owner.setting ?? 'toleranceSeconds'}: it must be a finite number of seconds greater than 0.`,
    })
  }
}
