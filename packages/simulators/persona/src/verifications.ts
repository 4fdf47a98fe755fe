import type { SyntheticApplicant } from '@openkyc/testkit/catalogue'
import { type PersonaApp, type PersonaRouteContext, type PresentView, usesModernShape } from './context.js'
import { type ResourceObject, recordNotFound, sendResource } from './json-api.js'
import type { PersonaVerificationKind, PlannedCheckFailure } from './scenarios.js'
import { formatTimestamp, type StoredResource } from './state.js'

/**
 * Persona verifications (`verification/government-id`, `/selfie`, `/database`): created by the
 * applicant's flow (hosted page, control API, sandbox simulate actions), never by the API directly.
 *
 * @see docs/reference/persona-api.md §3
 */

/** The documented checks per verification kind, with their requirement. */
const checkCatalogue: Readonly<
  Record<PersonaVerificationKind, ReadonlyArray<[string, 'required' | 'not_required']>>
> = {
  'government-id': [
    ['id_aamva_database_lookup', 'not_required'],
    ['id_account_comparison', 'not_required'],
    ['id_age_comparison', 'required'],
    ['id_barcode_detection', 'not_required'],
    ['id_barcode_inconsistency_detection', 'not_required'],
    ['id_blur_detection', 'required'],
    ['id_color_inconsistency_detection', 'not_required'],
    ['id_compromised_detection', 'required'],
    ['id_disallowed_country_detection', 'required'],
    ['id_disallowed_type_detection', 'required'],
    ['id_double_side_detection', 'not_required'],
    ['id_electronic_replica_detection', 'required'],
    ['id_entity_detection', 'not_required'],
    ['id_expired_detection', 'required'],
    ['id_extracted_properties_detection', 'required'],
    ['id_glare_detection', 'not_required'],
    ['id_handwriting_detection', 'not_required'],
    ['id_inquiry_comparison', 'not_required'],
    ['id_mrz_detection', 'not_required'],
    ['id_mrz_inconsistency_detection', 'not_required'],
    ['id_po_box_detection', 'not_required'],
    ['id_portrait_detection', 'required'],
    ['id_public_figure_detection', 'not_required'],
    ['id_real_id_detection', 'not_required'],
    ['id_repeat_detection', 'not_required'],
    ['id_selfie_comparison', 'not_required'],
    ['id_tamper_detection', 'required'],
    ['id_unprocessable_submission_detection', 'required'],
    ['id_valid_dates_detection', 'required'],
  ],
  selfie: [
    ['selfie_account_comparison', 'not_required'],
    ['selfie_age_comparison', 'not_required'],
    ['selfie_face_covering_detection', 'not_required'],
    ['selfie_glare_detection', 'not_required'],
    ['selfie_glasses_detection', 'not_required'],
    ['selfie_id_comparison', 'required'],
    ['selfie_liveness_detection', 'required'],
    ['selfie_multiple_faces_detection', 'required'],
    ['selfie_pose_detection', 'required'],
    ['selfie_pose_repeat_detection', 'not_required'],
    ['selfie_public_figure_detection', 'not_required'],
    ['selfie_suspicious_entity_detection', 'not_required'],
  ],
  database: [
    ['database_address_deliverable_detection', 'not_required'],
    ['database_address_residential_detection', 'not_required'],
    ['database_deceased_detection', 'required'],
    ['database_identity_comparison', 'required'],
    ['database_inquiry_comparison', 'not_required'],
    ['database_po_box_detection', 'not_required'],
  ],
}

/** Persona's `id-class` for each document type of the normalized model. */
const idClassByDocumentType: Readonly<Record<SyntheticApplicant['documentType'], string>> = {
  passport: 'pp',
  driving_license: 'dl',
  id_card: 'id',
  visa: 'visa',
  residence_permit: 'rp',
  other: 'other',
}

/** Builds the `checks` array of a verification with the planned failures applied. */
export function buildChecks(kind: PersonaVerificationKind, failures: readonly PlannedCheckFailure[] = []) {
  const catalogue = checkCatalogue[kind]
  const checks = catalogue.map(([name, requirement]) => {
    const failure = failures.find((candidate) => candidate.name === name)
    return {
      name,
      status: failure === undefined ? 'passed' : 'failed',
      reasons: failure === undefined ? [] : [...failure.reasons],
      requirement: failure?.requirement ?? requirement,
      metadata: {},
    }
  })
  for (const failure of failures) {
    if (catalogue.some(([name]) => name === failure.name)) continue
    checks.push({
      name: failure.name,
      status: 'failed',
      reasons: [...failure.reasons],
      requirement: failure.requirement ?? 'required',
      metadata: {},
    })
  }
  return checks
}

/** Options of {@link createVerification}. */
export type CreateVerificationOptions = {
  inquiry: StoredResource
  kind: PersonaVerificationKind
  /** `passed` or `failed`; when omitted it follows the required checks. */
  status?: 'passed' | 'failed'
  failedChecks?: readonly PlannedCheckFailure[]
  applicant: SyntheticApplicant
  /** Origin for photo URLs (the simulator's public base URL). */
  baseUrl: string
}

function sexLabel(sex: SyntheticApplicant['sex']): string | null {
  if (sex === 'female') return 'Female'
  if (sex === 'male') return 'Male'
  return null
}

/**
 * Creates a verification as the applicant's submission would, walking it through `initiated →
 * submitted → passed|failed` and emitting `verification.created`, `.submitted`, `.passed|.failed` (and
 * `document.*`/`selfie.*` for the kinds that have them, as the integration-testing page documents). The
 * verification is linked to the inquiry's `verifications` relationship.
 */
export function createVerification(
  context: PersonaRouteContext,
  options: CreateVerificationOptions,
): StoredResource {
  const { inquiry, kind, applicant } = options
  const now = context.now()
  const nowText = formatTimestamp(now)
  const seconds = Math.floor(now / 1000)
  const checks = buildChecks(kind, options.failedChecks)
  const failedRequired = checks.some((check) => check.status === 'failed' && check.requirement === 'required')
  const status = options.status ?? (failedRequired ? 'failed' : 'passed')
  const id = context.newId('ver')
  const files = `${options.baseUrl}/files/${id}`
  const attributes: Record<string, unknown> = {
    status: 'initiated',
    'created-at': nowText,
    'created-at-ts': seconds,
    'submitted-at': null,
    'submitted-at-ts': null,
    'completed-at': null,
    'completed-at-ts': null,
    'country-code': applicant.issuingCountry,
    checks: [],
  }
  if (kind === 'government-id') {
    Object.assign(attributes, {
      'id-class': idClassByDocumentType[applicant.documentType],
      'capture-method': 'upload',
      'entity-confidence-score': 100,
      'entity-confidence-reasons': [],
      'front-photo-url': `${files}/front.jpg`,
      'back-photo-url': applicant.documentType === 'passport' ? null : `${files}/back.jpg`,
      'photo-urls': [
        {
          page: 'front',
          url: `${files}/front.jpg`,
          'normalized-url': `${files}/front.jpg`,
          'original-urls': [`${files}/front.jpg`],
          'byte-size': 0,
        },
      ],
      'selfie-photo': null,
      'selfie-photo-url': null,
      'video-url': null,
      ...extractedDocumentAttributes(applicant),
      birthplace: null,
      endorsements: null,
      height: null,
      sex: sexLabel(applicant.sex),
      restrictions: null,
      'vehicle-class': null,
      'identification-number': applicant.documentNumber,
    })
  } else if (kind === 'selfie') {
    Object.assign(attributes, {
      'capture-method': 'photo',
      'center-photo-face-coordinates': null,
      'center-photo-url': `${files}/center.jpg`,
      'document-similarity-score': status === 'failed' ? 12 : 96,
      'entity-confidence-reasons': [],
      'left-photo-url': `${files}/left.jpg`,
      'photo-urls': [
        { page: 'center_photo', url: `${files}/center.jpg`, 'byte-size': 0 },
        { page: 'left_photo', url: `${files}/left.jpg`, 'byte-size': 0 },
        { page: 'right_photo', url: `${files}/right.jpg`, 'byte-size': 0 },
      ],
      'right-photo-url': `${files}/right.jpg`,
      'selfie-similarity-score-left': 95,
      'selfie-similarity-score-right': 95,
      'video-url': null,
    })
  } else {
    Object.assign(attributes, {
      'name-first': applicant.firstName,
      'name-middle': null,
      'name-last': applicant.lastName,
      birthdate: applicant.dateOfBirth,
      'phone-number': null,
      'email-address': null,
      'address-street-1': null,
      'address-street-2': null,
      'address-city': null,
      'address-subdivision': null,
      'address-postal-code': null,
      'normalized-address-street-1': null,
      'normalized-address-street-2': null,
      'normalized-address-city': null,
      'normalized-address-subdivision': null,
      'normalized-address-postal-code': null,
      'identification-number': applicant.documentNumber,
      'document-number': null,
      'document-issuing-date': null,
      'document-expiry-date': null,
      'document-issuing-subdivision': null,
    })
  }
  const template = inquiry.relationships['inquiry-template'] ?? null
  const templateVersion = inquiry.relationships['inquiry-template-version'] ?? null
  const verification = context.state.collection('verification').insert({
    type: `verification/${kind}`,
    id,
    createdAtMs: now,
    attributes,
    relationships: {
      inquiry: { type: 'inquiry', id: inquiry.id },
      template: null,
      'inquiry-template': template,
      'inquiry-template-version': templateVersion,
      transaction: null,
      'verification-template': {
        type: `verification-template/${kind}`,
        id: `vtmpl_simulator_${kind.replaceAll('-', '_')}`,
      },
      'verification-template-version': null,
    },
    internal: { kind },
  })
  const document =
    kind === 'government-id' ? createGovernmentIdDocument(context, inquiry, applicant, files) : undefined
  if (document !== undefined) verification.relationships.document = { type: document.type, id: document.id }
  const list = (inquiry.relationships.verifications as { type: string; id: string }[] | undefined) ?? []
  inquiry.relationships.verifications = [...list, { type: verification.type, id: verification.id }]

  // Documented order: type-specific document/selfie events, then verification.created → submitted → result.
  const evidence = document ?? (kind === 'selfie' ? verification : undefined)
  const evidenceName = kind === 'selfie' ? 'selfie' : 'document'
  context.emitEvent({ name: 'verification.created', resource: verification })
  if (evidence !== undefined) context.emitEvent({ name: `${evidenceName}.created`, resource: evidence })
  verification.attributes.status = 'submitted'
  verification.attributes['submitted-at'] = nowText
  verification.attributes['submitted-at-ts'] = seconds
  if (evidence !== undefined) context.emitEvent({ name: `${evidenceName}.submitted`, resource: evidence })
  context.emitEvent({ name: 'verification.submitted', resource: verification })
  verification.attributes.checks = checks
  verification.attributes.status = status
  verification.attributes['completed-at'] = nowText
  verification.attributes['completed-at-ts'] = seconds
  if (evidence !== undefined) context.emitEvent({ name: `${evidenceName}.processed`, resource: evidence })
  context.emitEvent({ name: `verification.${status}`, resource: verification })
  return verification
}

/** What a government ID reads as, shared by the verification and the document it creates. */
function extractedDocumentAttributes(applicant: SyntheticApplicant): Record<string, unknown> {
  return {
    'name-first': applicant.firstName,
    'name-middle': null,
    'name-last': applicant.lastName,
    'name-suffix': null,
    birthdate: applicant.dateOfBirth,
    'issuing-authority': applicant.issuingCountry,
    'issuing-subdivision': null,
    nationality: applicant.nationality,
    'document-number': applicant.documentNumber,
    'visa-status': null,
    'issue-date': applicant.issueDate,
    'expiration-date': applicant.expiryDate,
    designations: [],
  }
}

/** The `document/government-id` a government-id submission creates (the uploaded images and what was read). */
function createGovernmentIdDocument(
  context: PersonaRouteContext,
  inquiry: StoredResource,
  applicant: SyntheticApplicant,
  files: string,
): StoredResource {
  const now = context.now()
  const document = context.state.collection('document').insert({
    type: 'document/government-id',
    id: context.newId('doc'),
    createdAtMs: now,
    attributes: {
      status: 'processed',
      'created-at': formatTimestamp(now),
      'processed-at': formatTimestamp(now),
      'processed-at-ts': Math.floor(now / 1000),
      'front-photo': { filename: 'front.jpg', url: `${files}/front.jpg`, 'byte-size': 0 },
      'back-photo': null,
      'selfie-photo': null,
      'id-class': idClassByDocumentType[applicant.documentType],
      ...extractedDocumentAttributes(applicant),
      'identification-number': applicant.documentNumber,
    },
    relationships: {
      inquiry: { type: 'inquiry', id: inquiry.id },
      template: null,
      'inquiry-template-version': inquiry.relationships['inquiry-template-version'] ?? null,
      'inquiry-template': inquiry.relationships['inquiry-template'] ?? null,
      'document-files': [],
    },
  })
  const list = (inquiry.relationships.documents as { type: string; id: string }[] | undefined) ?? []
  inquiry.relationships.documents = [...list, { type: document.type, id: document.id }]
  return document
}

/** Keys of verification attributes that hold personal data, nulled by redaction. */
const verificationPersonalKeys = [
  'name-first',
  'name-middle',
  'name-last',
  'name-suffix',
  'birthdate',
  'birthplace',
  'document-number',
  'identification-number',
  'issue-date',
  'expiration-date',
  'sex',
  'height',
  'nationality',
  'address-street-1',
  'address-street-2',
  'address-city',
  'address-subdivision',
  'address-postal-code',
  'phone-number',
  'email-address',
  'front-photo-url',
  'back-photo-url',
  'selfie-photo-url',
  'center-photo-url',
  'left-photo-url',
  'right-photo-url',
  'video-url',
]

/** Removes personal data from a verification (Persona's redaction), keeping statuses and checks. */
export function redactVerification(verification: StoredResource, now: number): void {
  for (const key of verificationPersonalKeys) {
    if (key in verification.attributes) verification.attributes[key] = null
  }
  if ('photo-urls' in verification.attributes) verification.attributes['photo-urls'] = []
  if ('selfie-photo' in verification.attributes) verification.attributes['selfie-photo'] = null
  if ('front-photo' in verification.attributes) verification.attributes['front-photo'] = null
  verification.attributes['redacted-at'] = formatTimestamp(now)
}

function presentVerification(resource: StoredResource, view: PresentView): ResourceObject {
  const attributes = structuredClone(resource.attributes)
  // Check `requirement` is newer than the 2023-01-05 schema, whose check objects are closed.
  if (!usesModernShape(view.apiVersion) && Array.isArray(attributes.checks)) {
    attributes.checks = (attributes.checks as Record<string, unknown>[]).map(
      ({ requirement: _requirement, ...check }) => check,
    )
  }
  // `redacted-at` was added after the 2023-01-05 schema; it is only shown once set.
  if (attributes['redacted-at'] === undefined) delete attributes['redacted-at']
  const relationships: ResourceObject['relationships'] = {}
  for (const [name, data] of Object.entries(resource.relationships)) relationships[name] = { data }
  return { type: resource.type, id: resource.id, attributes, relationships }
}

const typedPaths: ReadonlyArray<[string, PersonaVerificationKind]> = [
  ['government-ids', 'government-id'],
  ['selfies', 'selfie'],
  ['databases', 'database'],
]

/** Registers `GET/DELETE /verifications/{id}` and the typed retrieves (`/verification/government-ids/{id}`, …). */
export function registerVerificationRoutes(app: PersonaApp, context: PersonaRouteContext): void {
  const verifications = context.state.collection('verification')
  context.registerPresenter('verification', { present: presentVerification })

  const find = (id: string, kind?: PersonaVerificationKind): StoredResource => {
    const verification = verifications.get(id)
    if (verification === undefined) throw recordNotFound()
    if (kind !== undefined && verification.type !== `verification/${kind}`) throw recordNotFound()
    return verification
  }

  app.get('/verifications/:id', (c) => sendResource(c, context, find(c.req.param('id'))))
  app.delete('/verifications/:id', (c) => {
    const verification = find(c.req.param('id'))
    redactVerification(verification, context.now())
    return sendResource(c, context, verification)
  })
  for (const [path, kind] of typedPaths) {
    app.get(`/verification/${path}/:id`, (c) => sendResource(c, context, find(c.req.param('id'), kind)))
  }
}
