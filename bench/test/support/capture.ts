import { isKycError, type KycLogger } from '@openkyc/core'
import { scenarios } from '@openkyc/testkit/catalogue'

/**
 * What a reliability test saw: every log line the adapters wrote and every error that reached the
 * application. The PII scan searches both for the catalogue's personal data.
 */
export type Capture = {
  logger: KycLogger
  readonly lines: string[]
  readonly errors: unknown[]
  /** Keeps an error for the scan (and counts it). */
  record(error: unknown): void
}

/** A logger that keeps every line, fields included, as the application's log would. */
export function createCapture(): Capture {
  const lines: string[] = []
  const errors: unknown[] = []
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${fields === undefined ? '' : JSON.stringify(fields)}`)
  }
  return {
    logger: { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') },
    lines,
    errors,
    record: (error) => {
      errors.push(error)
    },
  }
}

/** Every name, date of birth and document number in the catalogue: what must never leak. */
export const cataloguePersonalData: readonly string[] = scenarios.flatMap(({ applicant }) => [
  applicant.firstName,
  applicant.lastName,
  applicant.dateOfBirth,
  applicant.documentNumber,
])

/** An error as an application might print or store it: message, `String()`, `JSON.stringify`, cause chain. */
export function serializeError(error: unknown): string {
  const parts: string[] = []
  let current: unknown = error
  for (let depth = 0; current !== undefined && depth < 5; depth += 1) {
    if (current instanceof Error) parts.push(current.message, String(current))
    try {
      parts.push(JSON.stringify(current) ?? '')
    } catch {
      parts.push('[unserializable]')
    }
    // The cause chain is kept for debugging and is not serialized; a library's own messages still must not leak.
    current = isKycError(current) ? undefined : current instanceof Error ? current.cause : undefined
  }
  return parts.join('\n')
}

/** The catalogue values found in the captured lines and errors (empty when nothing leaked). */
export function personalDataFound(capture: Capture): { needle: string; where: string }[] {
  const hits: { needle: string; where: string }[] = []
  const haystacks = [
    ...capture.lines.map((line, index) => ({ text: line, where: `log line ${index}` })),
    ...capture.errors.map((error, index) => ({ text: serializeError(error), where: `error ${index}` })),
  ]
  for (const { text, where } of haystacks) {
    for (const needle of cataloguePersonalData) if (text.includes(needle)) hits.push({ needle, where })
  }
  return hits
}
