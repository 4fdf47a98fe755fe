/**
 * The workflow definitions the simulator knows, written from Jumio's workflow descriptions (seed 001,
 * "v3 Workflow Descriptions") and the KYX descriptions summarised in `reference/jumio-api.md` §3.
 * A workflow key decides which credentials an account create/update returns, on which channels each
 * can be captured, and which capabilities run once the execution is finalized.
 */

/** Jumio credential categories (`workflowExecution.credentials[].category`). */
export type JumioCredentialCategory = 'ID' | 'SELFIE' | 'FACEMAP' | 'DATA' | 'DOCUMENT'

/** Capture channels (`allowedChannels`). */
export type JumioChannel = 'WEB' | 'API' | 'SDK'

/** Capability names as they appear under `capabilities` in the details response. */
export type JumioCapabilityName =
  | 'usability'
  | 'imageChecks'
  | 'extraction'
  | 'dataChecks'
  | 'similarity'
  | 'liveness'
  | 'authentication'
  | 'watchlistScreening'
  | 'addressValidation'
  | 'proofOfResidency'
  | 'drivingLicenseVerification'

/** One credential a workflow asks for, in the order Jumio lists it in the create response. */
export type JumioCredentialTemplate = {
  category: JumioCredentialCategory
  allowedChannels: readonly JumioChannel[]
}

/** What the simulator knows about one workflow key. */
export type JumioWorkflowDefinition = {
  key: number
  name: string
  /** Credentials created when the request names none (or only presets for some of them). */
  credentials: readonly JumioCredentialTemplate[]
  /** The capabilities this workflow runs, dependency order. */
  capabilities: readonly JumioCapabilityName[]
  /** Whether the response carries `web.href` and `sdk.token` (hosted or mobile capture possible). */
  hosted: boolean
  /** The workflow collects biometrics: `userConsent` is mandatory (W23 "Obtain End-User Consent"). */
  biometric: boolean
  /** `userReference` is required for screening to work (W23 workflow 32, W22 10010). */
  requiresUserReference: boolean
  /** Only available through `PUT /accounts/{id}` on an existing account (W23 5, 9, 16). */
  requiresExistingAccount: boolean
  /** The account must hold a FACEMAP from an earlier execution (W23 9: "Facemap already on file"). */
  requiresFacemapOnFile: boolean
  /** The ID credential must reference an ID already on file by `id` (W23 5). */
  requiresExistingId: boolean
  /** KYX workflows (10000+) expose `/steps`; v3 workflows answer 404 there (G22). */
  kyx: boolean
}

const allChannels: readonly JumioChannel[] = ['WEB', 'API', 'SDK']
const hostedOnly: readonly JumioChannel[] = ['WEB', 'SDK']
const apiOnly: readonly JumioChannel[] = ['API']

const idCredential: JumioCredentialTemplate = { category: 'ID', allowedChannels: allChannels }
const selfieCredential: JumioCredentialTemplate = { category: 'SELFIE', allowedChannels: allChannels }
const facemapCredential: JumioCredentialTemplate = { category: 'FACEMAP', allowedChannels: hostedOnly }

const identityChain: readonly JumioCapabilityName[] = [
  'usability',
  'imageChecks',
  'extraction',
  'dataChecks',
  'similarity',
  'liveness',
]

const base = {
  hosted: true,
  biometric: false,
  requiresUserReference: false,
  requiresExistingAccount: false,
  requiresFacemapOnFile: false,
  requiresExistingId: false,
  kyx: false,
} as const

/** Every workflow key the simulator serves, keyed by number. */
export const jumioWorkflows: ReadonlyMap<number, JumioWorkflowDefinition> = new Map(
  (
    [
      {
        ...base,
        key: 1,
        name: 'ID Capture and Storage',
        credentials: [idCredential],
        capabilities: ['usability', 'extraction'],
      },
      {
        ...base,
        key: 2,
        name: 'ID Verification',
        credentials: [idCredential],
        capabilities: ['usability', 'imageChecks', 'extraction', 'dataChecks'],
      },
      {
        ...base,
        key: 3,
        name: 'ID and Identity Verification',
        biometric: true,
        credentials: [idCredential, facemapCredential, selfieCredential],
        capabilities: identityChain,
      },
      {
        ...base,
        key: 5,
        name: 'Similarity to Existing ID',
        hosted: false,
        biometric: true,
        requiresExistingAccount: true,
        requiresExistingId: true,
        credentials: [
          { category: 'ID', allowedChannels: [] },
          { category: 'SELFIE', allowedChannels: apiOnly },
        ],
        capabilities: ['usability', 'similarity'],
      },
      {
        ...base,
        key: 6,
        name: 'Standalone Liveness',
        biometric: true,
        credentials: [facemapCredential, selfieCredential],
        capabilities: ['usability', 'liveness'],
      },
      {
        ...base,
        key: 9,
        name: 'Authentication',
        biometric: true,
        requiresExistingAccount: true,
        requiresFacemapOnFile: true,
        credentials: [facemapCredential, { category: 'SELFIE', allowedChannels: hostedOnly }],
        capabilities: ['usability', 'authentication'],
      },
      {
        ...base,
        key: 16,
        name: 'Authentication on Premise',
        biometric: true,
        requiresExistingAccount: true,
        credentials: [
          { category: 'FACEMAP', allowedChannels: apiOnly },
          facemapCredential,
          { category: 'SELFIE', allowedChannels: hostedOnly },
        ],
        capabilities: ['usability', 'authentication'],
      },
      {
        ...base,
        key: 20,
        name: 'Similarity of Two Images',
        hosted: false,
        biometric: true,
        credentials: [
          { category: 'ID', allowedChannels: apiOnly },
          { category: 'SELFIE', allowedChannels: apiOnly },
        ],
        capabilities: ['usability', 'similarity'],
      },
      {
        ...base,
        key: 32,
        name: 'ID Verification, Identity Verification, Screening',
        biometric: true,
        requiresUserReference: true,
        credentials: [idCredential, selfieCredential, facemapCredential],
        capabilities: [...identityChain, 'watchlistScreening'],
      },
      {
        ...base,
        key: 10010,
        name: 'Standalone Watchlist Screening',
        hosted: false,
        kyx: true,
        requiresUserReference: true,
        credentials: [{ category: 'DATA', allowedChannels: apiOnly }],
        capabilities: ['watchlistScreening'],
      },
      {
        ...base,
        key: 10011,
        name: 'Standalone ID and Identity Verification',
        biometric: true,
        kyx: true,
        credentials: [idCredential, selfieCredential, facemapCredential],
        capabilities: identityChain,
      },
      {
        ...base,
        key: 10013,
        name: 'IDIV + Screening + Proof of Residency + Address Validation + US DL Verification',
        biometric: true,
        kyx: true,
        credentials: [idCredential, selfieCredential, facemapCredential],
        capabilities: [
          ...identityChain,
          'watchlistScreening',
          'addressValidation',
          'proofOfResidency',
          'drivingLicenseVerification',
        ],
      },
    ] satisfies JumioWorkflowDefinition[]
  ).map((definition) => [definition.key, definition]),
)

/** The upload classifiers a credential category accepts through the API channel. */
export const classifiersByCategory: Readonly<Record<JumioCredentialCategory, readonly string[]>> = {
  ID: ['FRONT', 'BACK'],
  SELFIE: ['FACE'],
  FACEMAP: ['FACEMAP'],
  DATA: ['PREPARED_DATA'],
  DOCUMENT: ['FRONT', 'BACK'],
}

/** The parts that must be present for a credential to count as captured (BACK is optional: passports). */
export const requiredClassifiers: Readonly<Record<JumioCredentialCategory, readonly string[]>> = {
  ID: ['FRONT'],
  SELFIE: ['FACE'],
  FACEMAP: ['FACEMAP'],
  DATA: ['PREPARED_DATA'],
  DOCUMENT: ['FRONT'],
}

/** Steps of KYX workflows and the capabilities each groups (G22 `/steps`). */
export const kyxSteps: readonly { name: string; capabilities: readonly JumioCapabilityName[] }[] = [
  {
    name: 'ID_IV',
    capabilities: [
      'usability',
      'imageChecks',
      'extraction',
      'dataChecks',
      'similarity',
      'liveness',
      'authentication',
    ],
  },
  { name: 'SCREENING', capabilities: ['watchlistScreening'] },
  { name: 'ADDRESS_VERIFICATION', capabilities: ['addressValidation', 'proofOfResidency'] },
  { name: 'DL_VERIFICATION', capabilities: ['drivingLicenseVerification'] },
]
