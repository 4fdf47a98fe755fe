import { createJpeg, createPng } from '@openkyc/testkit/harness'

/**
 * Evidence images for the Jumio simulator. The simulator cannot read a face or a name off pixels, so a
 * "document" names its applicant in the file itself: a JPEG comment (COM segment) or a PNG `tEXt`
 * chunk holding the applicant's magic last name. Viewers ignore both; the simulator finds the name.
 */

/** Options for {@link createJumioEvidenceImage}. */
export type JumioEvidenceImageOptions = {
  /** The text written into the file, typically a catalogue applicant's last name. */
  text?: string
  format?: 'jpeg' | 'png'
  /** Default 640×400 (a document); use 480×640 for a selfie. */
  width?: number
  height?: number
  /** Solid colour instead of noise, for small files. */
  fill?: readonly [number, number, number]
}

const encoder = new TextEncoder()

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

function withJpegComment(jpeg: Uint8Array, text: string): Uint8Array {
  const comment = encoder.encode(text)
  const length = comment.byteLength + 2
  if (length > 0xffff) throw new RangeError('createJumioEvidenceImage: text too long for a JPEG comment')
  const segment = new Uint8Array(4 + comment.byteLength)
  segment.set([0xff, 0xfe, length >> 8, length & 0xff])
  segment.set(comment, 4)
  const result = new Uint8Array(jpeg.byteLength + segment.byteLength)
  result.set(jpeg.subarray(0, 2))
  result.set(segment, 2)
  result.set(jpeg.subarray(2), 2 + segment.byteLength)
  return result
}

function withPngText(png: Uint8Array, text: string): Uint8Array {
  const data = encoder.encode(`Comment\0${text}`)
  const type = encoder.encode('tEXt')
  const chunk = new Uint8Array(12 + data.byteLength)
  const view = new DataView(chunk.buffer)
  view.setUint32(0, data.byteLength)
  chunk.set(type, 4)
  chunk.set(data, 8)
  const crcInput = new Uint8Array(type.byteLength + data.byteLength)
  crcInput.set(type)
  crcInput.set(data, type.byteLength)
  view.setUint32(8 + data.byteLength, crc32(crcInput))
  // After the signature (8 bytes) and IHDR (25 bytes).
  const at = 33
  const result = new Uint8Array(png.byteLength + chunk.byteLength)
  result.set(png.subarray(0, at))
  result.set(chunk, at)
  result.set(png.subarray(at), at + chunk.byteLength)
  return result
}

/**
 * A valid JPEG or PNG that carries a text (the applicant's magic last name), so uploading it through
 * the API channel realises that applicant's scenario.
 *
 * @example
 * ```ts
 * const front = createJumioEvidenceImage({ text: 'Testperson-Expired' })
 * const selfie = createJumioEvidenceImage({ text: 'Testperson-Expired', width: 480, height: 640 })
 * ```
 */
export function createJumioEvidenceImage(options: JumioEvidenceImageOptions = {}): Uint8Array {
  const width = options.width ?? 640
  const height = options.height ?? 400
  const fill = options.fill ?? ([180, 190, 200] as const)
  const format = options.format ?? 'jpeg'
  // Encoding in pure JavaScript is slow and the pixels never differ: encode each size once.
  const key = `${format}:${width}x${height}:${fill.join(',')}`
  let base = encoded.get(key)
  if (base === undefined) {
    base = format === 'png' ? createPng({ width, height, fill }) : createJpeg({ width, height, fill })
    encoded.set(key, base)
  }
  if (options.text === undefined) return base.slice()
  return format === 'png' ? withPngText(base, options.text) : withJpegComment(base, options.text)
}

const encoded = new Map<string, Uint8Array>()
