import { z } from '#zod'
import { lazySchema, resolveSchema } from '../lazy.js'
import { isCountryCode } from './country.js'

/**
 * An ISO 3166-1 alpha-2 country code, upper case, checked against the assigned codes (our model uses
 * alpha-2 everywhere). The message says what was expected, never the value given.
 */
export const CountryCodeSchema = lazySchema(() =>
  z
    .string()
    .refine(isCountryCode, 'expected an ISO 3166-1 alpha-2 country code in upper case, for example "DE"'),
)

/** The kinds of evidence an applicant submits. */
export const CredentialKindSchema = lazySchema(() =>
  z.enum(['id_document', 'selfie', 'liveness', 'document', 'personal_data']),
)

/** The kinds of evidence an applicant submits. See {@link CredentialKindSchema}. */
export type CredentialKind = z.infer<typeof CredentialKindSchema>

/** Identity document types. */
export const DocumentTypeSchema = lazySchema(() =>
  z.enum(['passport', 'driving_license', 'id_card', 'visa', 'residence_permit', 'other']),
)

/** Identity document types. See {@link DocumentTypeSchema}. */
export type DocumentType = z.infer<typeof DocumentTypeSchema>

/** The parts of a credential that can be present. */
export const CredentialPartSchema = lazySchema(() =>
  z.enum(['front', 'back', 'face', 'video', 'data', 'page']),
)

/** One part of a credential. See {@link CredentialPartSchema}. */
export type CredentialPart = z.infer<typeof CredentialPartSchema>

/** Evidence submitted for a verification. Never holds the images or the data themselves. */
export const CredentialSchema = lazySchema(() =>
  z.object({
    /** The provider's id for this credential, when it has one. */
    id: z.string().optional(),
    kind: resolveSchema(CredentialKindSchema),
    documentType: resolveSchema(DocumentTypeSchema).optional(),
    issuingCountry: resolveSchema(CountryCodeSchema).optional(),
    parts: z.array(resolveSchema(CredentialPartSchema)).default([]),
  }),
)

/** Evidence submitted for a verification. See {@link CredentialSchema}. */
export type Credential = z.infer<typeof CredentialSchema>
