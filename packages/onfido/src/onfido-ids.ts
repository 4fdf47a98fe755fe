import { pathSegment, uuidPattern } from '@openkyc/core'
import { onfidoProvider } from './onfido-settings.js'

/** The id parameters the adapter puts into paths and queries; every Onfido id is a UUID. */
export type OnfidoIdName = 'applicantId' | 'workflowRunId' | 'checkId' | 'documentId'

/**
 * Checks an Onfido id (a UUID) through core's `pathSegment` before it goes into a URL path or a
 * query. Anything else (`..`, `x/../../webhooks`, an empty string) throws `KycInvalidRequestError`
 * naming the parameter, never the value, and no request is sent.
 *
 * @example
 * ```ts
 * const applicantId = onfidoId(reference.applicantId, 'applicantId')
 * ```
 */
export function onfidoId(value: unknown, name: OnfidoIdName): string {
  return pathSegment(typeof value === 'string' ? value.trim() : value, {
    provider: onfidoProvider,
    name,
    pattern: uuidPattern,
    format: 'a UUID',
  })
}
