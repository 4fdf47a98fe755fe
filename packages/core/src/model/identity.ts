import { z } from '#zod'
import { lazySchema, resolveSchema } from '../lazy.js'
import { CountryCodeSchema, DocumentTypeSchema } from './credential.js'

/** A postal address as extracted from a document. */
export const AddressSchema = lazySchema(() =>
  z.object({
    line1: z.string().optional(),
    line2: z.string().optional(),
    city: z.string().optional(),
    subdivision: z.string().optional(),
    postalCode: z.string().optional(),
    country: resolveSchema(CountryCodeSchema).optional(),
  }),
)

/** A postal address. See {@link AddressSchema}. */
export type Address = z.infer<typeof AddressSchema>

/**
 * Identity data extracted from the evidence. This is personal data: it appears in
 * `getVerification` results only, never in events, errors or logs.
 */
export const IdentityDataSchema = lazySchema(() => {
  const isoDate = z.iso.date()
  const country = resolveSchema(CountryCodeSchema)
  return z.object({
    firstName: z.string().optional(),
    middleName: z.string().optional(),
    lastName: z.string().optional(),
    /** `YYYY-MM-DD`. */
    dateOfBirth: isoDate.optional(),
    documentNumber: z.string().optional(),
    documentType: resolveSchema(DocumentTypeSchema).optional(),
    issuingCountry: country.optional(),
    nationality: country.optional(),
    issueDate: isoDate.optional(),
    expiryDate: isoDate.optional(),
    sex: z.enum(['female', 'male', 'unspecified']).optional(),
    address: resolveSchema(AddressSchema).optional(),
  })
})

/** Identity data extracted from the evidence. See {@link IdentityDataSchema}. */
export type IdentityData = z.infer<typeof IdentityDataSchema>
