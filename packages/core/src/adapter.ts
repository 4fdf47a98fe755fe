import type { CredentialKind, CredentialPart, DocumentType } from './model/credential.js'
import type { DecisionOutcome } from './model/decision.js'
import type { KycEvent } from './model/event.js'
import type { Verification, VerificationReference } from './model/verification.js'

/**
 * The optional capabilities an adapter may declare. A declared capability must come with its methods
 * (see {@link capabilityMethods}); calling an undeclared one throws `KycUnsupportedCapabilityError`
 * before any request is sent.
 */
export type KycCapability =
  | 'upload'
  | 'sessionLink'
  | 'cancel'
  | 'manualReview'
  | 'deleteData'
  | 'simulate'
  | 'lists'
  | 'cases'

/** Every optional capability, in a stable order (for reports and capability matrices). */
export const kycCapabilities: readonly KycCapability[] = [
  'upload',
  'sessionLink',
  'cancel',
  'manualReview',
  'deleteData',
  'simulate',
  'lists',
  'cases',
]

/** What an adapter declares it can do. */
export type KycCapabilities = Readonly<Record<KycCapability, boolean>>

/**
 * What an adapter knows its provider cannot take, from the vendor's documentation: routing (the
 * coverage check of a routed `createKyc`) skips the provider for such a request, recorded as
 * `country_not_supported` or `document_type_not_supported`, and tries the next one. Declare only what
 * the vendor documents; a configured `routing.coverage` narrows it further.
 */
export type KycAdapterCoverage = {
  /**
   * The document types the provider accepts; a request whose `documentTypes` holds none of them is
   * not taken. Absent: every type.
   */
  readonly documentTypes?: readonly DocumentType[]
  /**
   * ISO 3166-1 alpha-2 countries whose documents the provider does not take (a request with such a
   * `country` is not taken). Absent: none.
   */
  readonly unsupportedCountries?: readonly string[]
}

/** The adapter methods each capability stands for. */
export const capabilityMethods = {
  upload: ['uploadCredential', 'submitVerification'],
  sessionLink: ['createSessionLink'],
  cancel: ['cancelVerification'],
  manualReview: ['reviewVerification'],
  deleteData: ['deleteVerificationData'],
  simulate: ['simulateVerification'],
  lists: ['createList', 'addListItems', 'importListItems'],
  cases: ['createCase', 'setCaseStatus', 'assignCase'],
} as const satisfies Record<KycCapability, readonly string[]>

/** The name of an optional adapter method. */
export type KycCapabilityMethod = (typeof capabilityMethods)[KycCapability][number]

/** Options every call accepts. */
export type CallOptions = {
  /** Aborts the call, including retries and waits. */
  signal?: AbortSignal
}

/** Options for creating a verification. */
export type CreateVerificationOptions = CallOptions & {
  /** The application's own id for the person (never personal data itself). Lets providers link returning applicants. */
  subjectReference: string
  /**
   * A key that makes a repeated call (a retried job, a second process) return the first call's
   * verification instead of creating another, at providers that accept one (Persona's
   * `Idempotency-Key`). Providers that document none (Jumio, Onfido) ignore it: a caller that cannot
   * tell whether a lost call created something must not call again (`@openkyc/jobs` bulk runs mark
   * such items `outcome_unknown`). Default: a fresh key per call, reused by its own retries.
   */
  idempotencyKey?: string
  /** `hosted` (default) returns a URL or SDK token for the applicant; `api` expects evidence through `uploadCredential`. */
  channel?: 'hosted' | 'api'
  /** Where the applicant is sent when the hosted flow ends. */
  redirectUrl?: string
  /** A BCP 47 locale for the hosted flow, for example `en-US`. */
  locale?: string
  /** ISO 3166-1 alpha-2 country hint for the expected document. */
  country?: string
  /** Document types to accept, when the provider lets us restrict them. */
  documentTypes?: readonly DocumentType[]
  /** Known data about the applicant, used by providers for data-consistency checks. Personal data: never logged. */
  prefill?: {
    firstName?: string
    lastName?: string
    dateOfBirth?: string
  }
}

/** What `createVerification` returns. `verification.session` holds the hand-off to the applicant. */
export type CreateVerificationResult = { verification: Verification }

/** Options naming one verification. */
export type VerificationCallOptions = CallOptions & { reference: VerificationReference }

/** Raw webhook input, exactly as received (the signature covers the raw bytes). */
export type ParseWebhookOptions = CallOptions & {
  headers: Headers
  rawBody: Uint8Array | string
  /** The peer address the request came from, for providers that authenticate by source IP. */
  remoteAddress?: string
}

/** Evidence to upload through the API channel. */
export type UploadCredentialOptions = VerificationCallOptions &
  (
    | {
        kind: Exclude<CredentialKind, 'personal_data'>
        part: CredentialPart
        documentType?: DocumentType
        /** ISO 3166-1 alpha-2. */
        country?: string
        content: Uint8Array
        contentType: 'image/jpeg' | 'image/png' | 'application/pdf'
      }
    | {
        kind: 'personal_data'
        data: Record<string, string>
      }
  )

/** Options for a one-time link to the hosted flow. */
export type CreateSessionLinkOptions = VerificationCallOptions & { expiresInSeconds?: number }

/** A hand-off link. Holds a secret; never logged. */
export type SessionLink = { url: string; expiresAt?: string }

/** A manual review action. */
export type ReviewVerificationOptions = VerificationCallOptions & {
  action: 'approve' | 'decline' | 'mark_for_review'
  /** A note for the audit trail. Must not contain personal data. */
  comment?: string
}

/**
 * What a sandbox simulation should make happen: a lifecycle step or a final or review decision (a
 * resubmission request is not simulated through this interface).
 */
export type SimulatedOutcome =
  | 'started'
  | 'submitted'
  | Exclude<DecisionOutcome, 'resubmission_requested'>
  | 'expired'

/** Options for a sandbox simulation. */
export type SimulateVerificationOptions = VerificationCallOptions & { outcome: SimulatedOutcome }

/** The kinds of watch/allow lists providers keep. */
export type ListKind =
  | 'email_address'
  | 'government_id_number'
  | 'name'
  | 'phone_number'
  | 'ip_address'
  | 'country'
  | 'face'
  | 'field'
  | 'geolocation'
  | 'browser_fingerprint'

/** A list at the provider. */
export type KycList = { id: string; kind: ListKind; name: string; archived: boolean }

/** Options for creating a list. */
export type CreateListOptions = CallOptions & { kind: ListKind; name: string }

/** One list item: field names as the provider's list kind expects them (for example `value`, `nameFirst`). */
export type ListItemInput = Record<string, string>

/** Options for adding items one by one. */
export type AddListItemsOptions = CallOptions & { listId: string; items: readonly ListItemInput[] }

/** Progress of a bulk import. */
export type ImportProgress = { bytesSent: number; rowsSent: number }

/** Options for a bulk (CSV) import. The source is streamed, never held in memory whole. */
export type ImportListItemsOptions = CallOptions & {
  listId: string
  /** CSV with a header row. */
  csv: string | Uint8Array | AsyncIterable<Uint8Array | string> | ReadableStream<Uint8Array>
  onProgress?: (progress: ImportProgress) => void
}

/** The result of a bulk import once the provider finished it. */
export type ImportResult = {
  id: string
  status: 'pending' | 'ready' | 'errored'
  successfulCount: number
  errorCount: number
  duplicateCount: number
}

/** A case (a manual review container) at the provider. */
export type KycCase = { id: string; status: string; assignee?: string; verificationIds: string[] }

/** Options for creating a case. */
export type CreateCaseOptions = CallOptions & {
  /** The provider's case template, when it needs one. */
  templateId?: string
  verifications?: readonly VerificationReference[]
}

/** Options for changing a case's status. */
export type SetCaseStatusOptions = CallOptions & { caseId: string; status: string }

/** Options for assigning a case. */
export type AssignCaseOptions = CallOptions & { caseId: string; assignee: string }

/**
 * Version 1 of the adapter interface. Object-shaped, every method takes one options object, so
 * fields can be added without breaking adapters or callers.
 *
 * Required: `createVerification`, `getVerification`, `parseWebhook`. Optional methods come with a
 * declared capability (see {@link capabilityMethods}).
 */
export type KycAdapterV1 = {
  readonly specificationVersion: 'v1'
  /** A short, stable name: `jumio`, `persona`, `acme`. */
  readonly provider: string
  readonly capabilities: KycCapabilities
  /**
   * What the provider is documented not to take, so that routing skips it before any request (see
   * {@link KycAdapterCoverage}). Optional: an adapter without it is assumed to take every country and
   * document type.
   */
  readonly coverage?: KycAdapterCoverage

  createVerification(options: CreateVerificationOptions): Promise<CreateVerificationResult>
  getVerification(options: VerificationCallOptions): Promise<Verification>
  /**
   * Verifies and normalizes one webhook delivery. Throws `KycWebhookVerificationError` when the
   * delivery cannot be trusted. Returns no events for deliveries that carry nothing we model.
   */
  parseWebhook(options: ParseWebhookOptions): Promise<KycEvent[]>
  /**
   * Optional. Registers a listener for events the adapter produces after a `parseWebhook` call has
   * returned: work a delivery started but must not hold the webhook request open for (Jumio: a
   * bounded background re-read while the execution's details are not ready yet). The webhook
   * pipeline subscribes once, when it is created, and sends these events through the same
   * normalize → dedupe → forward-only apply path as delivered ones. Returns the unsubscribe function.
   * An adapter without background work leaves it out.
   */
  subscribeBackgroundEvents?(listener: KycBackgroundEventListener): () => void

  uploadCredential?(options: UploadCredentialOptions): Promise<void>
  submitVerification?(options: VerificationCallOptions): Promise<Verification>
  createSessionLink?(options: CreateSessionLinkOptions): Promise<SessionLink>
  cancelVerification?(options: VerificationCallOptions): Promise<Verification>
  reviewVerification?(options: ReviewVerificationOptions): Promise<Verification>
  deleteVerificationData?(options: VerificationCallOptions): Promise<void>
  simulateVerification?(options: SimulateVerificationOptions): Promise<Verification>
  createList?(options: CreateListOptions): Promise<KycList>
  addListItems?(options: AddListItemsOptions): Promise<void>
  importListItems?(options: ImportListItemsOptions): Promise<ImportResult>
  createCase?(options: CreateCaseOptions): Promise<KycCase>
  setCaseStatus?(options: SetCaseStatusOptions): Promise<KycCase>
  assignCase?(options: AssignCaseOptions): Promise<KycCase>
}

/**
 * Receives events an adapter produced in the background (see `KycAdapterV1.subscribeBackgroundEvents`).
 * The adapter awaits it and reports a rejection to its logger; the events are not retried.
 */
export type KycBackgroundEventListener = (events: KycEvent[]) => Promise<void>

/** The current adapter interface. */
export type KycAdapter = KycAdapterV1

/** A logger OpenKYC writes to. Fields are redacted before they reach it. */
export type KycLogger = {
  debug?(message: string, fields?: Record<string, unknown>): void
  info?(message: string, fields?: Record<string, unknown>): void
  warn?(message: string, fields?: Record<string, unknown>): void
  error?(message: string, fields?: Record<string, unknown>): void
}
