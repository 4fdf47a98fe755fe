import { imageSize } from 'image-size'
import { z } from 'zod'
import type { JumioCredentialCategory } from './jumio-workflows.js'

/**
 * Checks on uploaded credential parts (seed 002 "Uploading Credentials", `reference/jumio-api.md` §4):
 * multipart field `file`, JPEG or PNG, at least 563×355 for documents and 480×640 for selfies, at
 * most 8000×8000, and a size limit (15 MB in the current Credentials API; 5 and 10 MB in older
 * guides). PREPARED_DATA is a JSON body instead.
 */

/** Upload limits; the defaults are the current documented ones. */
export type JumioUploadLimits = {
  /** Largest accepted file. Default 15 MB (current Credentials API). */
  maxBytes: number
  /** Smallest document image (front/back), as `[width, height]`. Default 563×355. */
  documentMinimum: readonly [number, number]
  /** Smallest selfie, as `[width, height]`. Default 480×640. */
  selfieMinimum: readonly [number, number]
  /** Largest image side. Default 8000. */
  maximumSide: number
}

/** The documented limits. */
export const defaultUploadLimits: JumioUploadLimits = {
  maxBytes: 15 * 1024 * 1024,
  documentMinimum: [563, 355],
  selfieMinimum: [480, 640],
  maximumSide: 8000,
}

/** An accepted image: its bytes, MIME type and size. */
export type AcceptedImage = {
  bytes: Uint8Array
  contentType: 'image/jpeg' | 'image/png'
  width: number
  height: number
}

/** The outcome of checking one upload. */
export type UploadCheck<T> = { ok: true; value: T } | { ok: false; detail: string }

/**
 * Checks an image part. Minimums are compared orientation-free (shorter side with shorter side,
 * longer with longer), since a portrait photo of a landscape card is still readable.
 */
export function checkImage(
  bytes: Uint8Array,
  category: JumioCredentialCategory,
  limits: JumioUploadLimits,
): UploadCheck<AcceptedImage> {
  if (bytes.byteLength === 0) return { ok: false, detail: 'file: must not be empty' }
  if (bytes.byteLength > limits.maxBytes) {
    return { ok: false, detail: `file: must be at most ${Math.round(limits.maxBytes / 1024 / 1024)} MB` }
  }
  let size: { width?: number; height?: number; type?: string }
  try {
    size = imageSize(bytes)
  } catch {
    return { ok: false, detail: 'file: must be a JPEG or PNG image' }
  }
  if (size.type !== 'jpg' && size.type !== 'png')
    return { ok: false, detail: 'file: must be a JPEG or PNG image' }
  const width = size.width ?? 0
  const height = size.height ?? 0
  if (width > limits.maximumSide || height > limits.maximumSide) {
    return {
      ok: false,
      detail: `file: resolution must be at most ${limits.maximumSide}×${limits.maximumSide}`,
    }
  }
  const minimum = category === 'SELFIE' ? limits.selfieMinimum : limits.documentMinimum
  const [minShort, minLong] = [Math.min(...minimum), Math.max(...minimum)]
  if (Math.min(width, height) < minShort || Math.max(width, height) < minLong) {
    return { ok: false, detail: `file: resolution must be at least ${minimum[0]}×${minimum[1]}` }
  }
  return {
    ok: true,
    value: { bytes, contentType: size.type === 'png' ? 'image/png' : 'image/jpeg', width, height },
  }
}

/** Checks a FACEMAP part (WF 16): opaque binary, only the size limit applies. */
export function checkFacemap(bytes: Uint8Array, limits: JumioUploadLimits): UploadCheck<Uint8Array> {
  if (bytes.byteLength === 0) return { ok: false, detail: 'file: must not be empty' }
  if (bytes.byteLength > limits.maxBytes) {
    return { ok: false, detail: `file: must be at most ${Math.round(limits.maxBytes / 1024 / 1024)} MB` }
  }
  return { ok: true, value: bytes }
}

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be YYYY-MM-DD' })
const text = z.string().max(255, { error: 'must be at most 255 characters' })

/** PREPARED_DATA fields (W22, DOC Uploading Prepared Data). Unknown fields are tolerated. */
const preparedDataSchema = z.looseObject({
  suffix: text.optional(),
  firstName: text.optional(),
  middleName: text.optional(),
  lastName: text.optional(),
  sex: text.optional(),
  dateOfBirth: isoDate.optional(),
  socialSecurityNumber: text.optional(),
  nationality: text.optional(),
  email: text.optional(),
  phoneNumber: text.optional(),
  phoneNumber2: text.optional(),
  personalNumber: text.optional(),
  address: z
    .looseObject({
      line1: text.optional(),
      line2: text.optional(),
      line3: text.optional(),
      line4: text.optional(),
      line5: text.optional(),
      postalCode: text.optional(),
      city: text.optional(),
      subdivision: text.optional(),
      country: z
        .string()
        .regex(/^[A-Z]{3}$/, { error: 'must be an ISO 3166-1 alpha-3 code' })
        .optional(),
    })
    .optional(),
  id: z
    .looseObject({
      issuingDate: isoDate.optional(),
      expiryDate: isoDate.optional(),
      idNumber: text.optional(),
      type: z
        .enum(['PASSPORT', 'DRIVING_LICENSE', 'ID_CARD'], {
          error: 'must be PASSPORT, DRIVING_LICENSE or ID_CARD',
        })
        .optional(),
    })
    .optional(),
})

/** Prepared data after validation. */
export type JumioPreparedData = z.infer<typeof preparedDataSchema>

/** Checks a PREPARED_DATA body (already parsed from JSON). Messages name fields, never values. */
export function checkPreparedData(body: unknown): UploadCheck<JumioPreparedData> {
  const parsed = preparedDataSchema.safeParse(body)
  if (!parsed.success) {
    return {
      ok: false,
      detail: parsed.error.issues
        .map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`)
        .join('; '),
    }
  }
  return { ok: true, value: parsed.data }
}
