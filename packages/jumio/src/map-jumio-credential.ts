import type { Credential, CredentialKind, CredentialPart } from '@openkyc/core'
import { match, P } from 'ts-pattern'
import { jumioCountryToAlpha2 } from './jumio-country.js'
import type { JumioDetailsResponse, JumioExtractionData } from './jumio-schemas.js'
import { mapJumioDocumentType } from './map-jumio-identity.js'

/**
 * Jumio's credential `category` → our credential kind. Categories Jumio adds later are left out of
 * the normalized list (they stay visible in retrieval through the vendor API).
 *
 * | Jumio category | kind |
 * | --- | --- |
 * | `ID` | `id_document` |
 * | `SELFIE` | `selfie` |
 * | `FACEMAP` | `liveness` |
 * | `DOCUMENT` | `document` |
 * | `DATA` | `personal_data` |
 *
 * @see KYX implementation guide, `workflowDefinition.credentials[].category` (G23); DOC Credential Reference
 */
export function mapJumioCredentialKind(category: string | null | undefined): CredentialKind | undefined {
  return match(category ?? '')
    .returnType<CredentialKind | undefined>()
    .with('ID', () => 'id_document')
    .with('SELFIE', () => 'selfie')
    .with('FACEMAP', () => 'liveness')
    .with('DOCUMENT', () => 'document')
    .with('DATA', () => 'personal_data')
    .otherwise(() => undefined)
}

/**
 * Jumio's part `classifier` → our credential part: `FRONT`/`FRONT_WITH_FLASH` → `front`, `BACK` →
 * `back`, `FACE`, `FACEMAP` and the `LIVENESS_1…6` frames → `face`, `PREPARED_DATA` → `data`,
 * `PAGE_n` → `page`. Unknown classifiers are dropped.
 *
 * @see Jumio docs "Workflow Credentials" (DOC); `docs/reference/jumio-api.md` §6 retrieval classifiers
 */
export function mapJumioPart(classifier: string | null | undefined): CredentialPart | undefined {
  return match(classifier ?? '')
    .returnType<CredentialPart | undefined>()
    .with(P.union('FRONT', 'FRONT_WITH_FLASH'), () => 'front')
    .with('BACK', () => 'back')
    .with(P.union('FACE', 'FACEMAP'), () => 'face')
    .with(P.string.regex(/^LIVENESS_\d+$/), () => 'face')
    .with('PREPARED_DATA', () => 'data')
    .with(P.string.regex(/^PAGE(_\d+)?$/), () => 'page')
    .otherwise(() => undefined)
}

/**
 * The evidence of a workflow execution. Credentials with no part (nothing was uploaded) are left
 * out. The document type and issuing country of the ID that extraction read are added to it.
 */
export function mapJumioCredentials(
  credentials: JumioDetailsResponse['credentials'],
  extraction: { data: JumioExtractionData | undefined; credentialIds: readonly string[] },
): Credential[] {
  return (credentials ?? []).flatMap((credential): Credential[] => {
    const kind = mapJumioCredentialKind(credential.category)
    if (kind === undefined) return []
    const parts = [
      ...new Set((credential.parts ?? []).flatMap((part) => mapJumioPart(part.classifier) ?? [])),
    ]
    if (parts.length === 0) return []
    const extracted =
      kind === 'id_document' &&
      extraction.data !== undefined &&
      (extraction.credentialIds.length === 0 ||
        (typeof credential.id === 'string' && extraction.credentialIds.includes(credential.id)))
        ? extraction.data
        : undefined
    const documentType = mapJumioDocumentType(extracted?.type, extracted?.subType)
    const issuingCountry = jumioCountryToAlpha2(extracted?.issuingCountry)
    return [
      {
        ...(typeof credential.id === 'string' ? { id: credential.id } : {}),
        kind,
        ...(documentType === undefined ? {} : { documentType }),
        ...(issuingCountry === undefined ? {} : { issuingCountry }),
        parts,
      },
    ]
  })
}
