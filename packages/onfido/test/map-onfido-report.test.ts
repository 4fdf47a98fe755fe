import { describe, expect, it } from 'vitest'
import {
  mapOnfidoIdentity,
  mapOnfidoReport,
  mapOnfidoReports,
  mapOnfidoRunReasons,
  mapOnfidoWorkflowRun,
  onfidoCountryToAlpha2,
  onfidoReportFamily,
  reasonsOfChecks,
} from '../src/index.js'
import type { OnfidoReport, OnfidoWorkflowRun } from '../src/onfido-schemas.js'
import { fixture } from './fixtures.js'

const reports = (name: string) => fixture<{ reports: OnfidoReport[] }>(name).reports

describe('mapOnfidoReport', () => {
  it('turns each top-level breakdown of the spec-shaped document and face reports into a check', () => {
    const checks = mapOnfidoReports(reports('reports-clear.json'))
    // 8 document breakdowns (issuing_authority is null: not run) + 3 facial similarity ones.
    expect(checks).toHaveLength(11)
    expect(checks.map((check) => check.raw.name)).toContain('facial_similarity_photo.face_comparison')
    expect(checks.find((check) => check.raw.name === 'document.police_record')).toMatchObject({
      kind: 'database',
      outcome: 'passed',
      reasons: [],
    })
    expect(reasonsOfChecks(checks)).toEqual([])
  })

  it('maps watchlist hits and survives report names and results Onfido adds later', () => {
    const checks = mapOnfidoReports(reports('reports-watchlist-and-unknown.json'))
    expect(checks.find((check) => check.raw.name === 'watchlist_standard.sanction')).toMatchObject({
      kind: 'watchlist',
      outcome: 'failed',
      reasons: [{ code: 'watchlist_hit', raw: 'watchlist.sanction' }],
    })
    expect(checks.find((check) => check.raw.name === 'brand_new_report')).toMatchObject({
      kind: 'other',
      outcome: 'warning',
      reasons: [{ code: 'other', raw: 'other' }],
    })
    expect(reasonsOfChecks(checks).map((reason) => reason.code)).toEqual(['watchlist_hit', 'other'])
  })

  it('reads a consider breakdown without sub-breakdowns, and a report still running', () => {
    expect(
      mapOnfidoReport({
        id: 'r',
        name: 'facial_similarity_video',
        result: 'consider',
        breakdown: { visual_authenticity: { result: 'consider' } },
      }),
    ).toEqual([
      {
        kind: 'liveness',
        outcome: 'failed',
        reasons: [{ code: 'liveness_failed', raw: 'facial_similarity.visual_authenticity' }],
        raw: { name: 'facial_similarity_video.visual_authenticity', label: 'consider', reportId: 'r' },
      },
    ])
    expect(mapOnfidoReport({ id: 'r', name: 'known_faces', status: 'awaiting_data', result: null })).toEqual([
      {
        kind: 'database',
        outcome: 'not_executed',
        reasons: [],
        raw: { name: 'known_faces', reportId: 'r', status: 'awaiting_data' },
      },
    ])
  })

  it('groups report variants by family', () => {
    expect(
      [
        'document_with_address_information',
        'facial_similarity_photo_fully_auto',
        'watchlist_aml',
        'known_faces',
        'india_pan',
      ].map(onfidoReportFamily),
    ).toEqual(['document', 'facial_similarity', 'watchlist', 'known_faces', 'other'])
  })

  it('maps the reason families: flagged reason properties, compromised documents, selfies, devices', () => {
    const checks = mapOnfidoReports([
      {
        id: 'd',
        name: 'document',
        result: 'consider',
        sub_result: 'rejected',
        breakdown: {
          image_integrity: {
            result: 'consider',
            breakdown: {
              image_quality: {
                result: 'consider',
                properties: { damaged_document: 'consider', blurred_photo: 'consider', dark_photo: 'clear' },
              },
              conclusive_document_quality: {
                result: 'consider',
                properties: {
                  punctured_document: 'consider',
                  missing_back: 'consider',
                  'bad key!': 'consider',
                },
              },
            },
          },
          compromised_document: {
            result: 'consider',
            breakdown: { document_database: { result: 'consider' }, repeat_attempts: { result: 'consider' } },
          },
        },
      },
      {
        id: 'f',
        name: 'facial_similarity_photo',
        result: 'consider',
        breakdown: {
          image_integrity: {
            result: 'consider',
            breakdown: {
              face_detected: { result: 'consider', properties: {} },
              source_integrity: {
                result: 'consider',
                properties: { emulator: 'consider', digital_tampering: 'consider' },
              },
            },
          },
        },
      },
      {
        id: 'k',
        name: 'known_faces',
        result: 'consider',
        breakdown: { image_integrity: { result: 'consider' } },
      },
      {
        id: 'i',
        name: 'device_intelligence',
        result: 'consider',
        breakdown: {
          device: { result: 'consider', breakdown: { device_integrity: { result: 'consider' } } },
        },
      },
    ])
    expect(checks.map((check) => [check.raw.name, check.reasons])).toEqual([
      [
        'document.image_integrity',
        [
          { code: 'document_damaged', raw: 'document.image_integrity.image_quality.damaged_document' },
          { code: 'document_unreadable', raw: 'document.image_integrity.image_quality.blurred_photo' },
          {
            code: 'document_damaged',
            raw: 'document.image_integrity.conclusive_document_quality.punctured_document',
          },
          {
            code: 'document_incomplete',
            raw: 'document.image_integrity.conclusive_document_quality.missing_back',
          },
        ],
      ],
      [
        'document.compromised_document',
        [
          { code: 'suspected_fraud', raw: 'document.compromised_document.document_database' },
          { code: 'duplicate_identity', raw: 'document.compromised_document.repeat_attempts' },
        ],
      ],
      [
        'facial_similarity_photo.image_integrity',
        [
          { code: 'selfie_unusable', raw: 'facial_similarity.image_integrity.face_detected' },
          { code: 'suspected_fraud', raw: 'facial_similarity.image_integrity.source_integrity.emulator' },
          {
            code: 'liveness_failed',
            raw: 'facial_similarity.image_integrity.source_integrity.digital_tampering',
          },
        ],
      ],
      ['known_faces.image_integrity', [{ code: 'selfie_unusable', raw: 'known_faces.image_integrity' }]],
      [
        'device_intelligence.device',
        [{ code: 'suspected_fraud', raw: 'device_intelligence.device.device_integrity' }],
      ],
    ])
    expect(onfidoReportFamily('device_intelligence')).toBe('device_intelligence')
  })

  it("counts a document's suspected sub-result only when no breakdown names a reason", () => {
    const run = fixture<OnfidoWorkflowRun>('workflow-run-declined.json')
    const suspectedOnly: OnfidoReport = {
      id: 'd',
      name: 'document',
      result: 'consider',
      sub_result: 'suspected',
      breakdown: { visual_authenticity: { result: 'clear' } },
    }
    const alone = mapOnfidoWorkflowRun(run, { reports: [suspectedOnly], now: () => 0 })
    expect(alone.decision?.reasons).toEqual([
      { code: 'suspected_fraud', raw: 'document.sub_result.suspected' },
    ])
    const withBreakdown = mapOnfidoWorkflowRun(run, {
      reports: [{ ...suspectedOnly, breakdown: { visual_authenticity: { result: 'consider' } } }],
      now: () => 0,
    })
    expect(withBreakdown.decision?.reasons).toEqual([
      { code: 'document_tampered', raw: 'document.visual_authenticity' },
    ])
    const rejected = mapOnfidoWorkflowRun(run, {
      reports: [{ ...suspectedOnly, sub_result: 'rejected' }],
      now: () => 0,
    })
    expect(rejected.decision?.reasons).toEqual([
      { code: 'document_expired', raw: 'document.data_validation.document_expiration' },
    ])
  })

  it('maps a workflow run reason string through the table, others to other', () => {
    expect(mapOnfidoRunReasons(['document.visual_authenticity', 'Custom reason', 'constructor'])).toEqual([
      { code: 'document_tampered', raw: 'document.visual_authenticity' },
      { code: 'other', raw: 'Custom reason' },
      { code: 'other', raw: 'constructor' },
    ])
  })
})

describe('mapOnfidoIdentity', () => {
  it('reads the document report properties with alpha-2 countries', () => {
    expect(mapOnfidoIdentity(reports('reports-clear.json'))).toEqual({
      firstName: 'Jane',
      lastName: 'Doe',
      dateOfBirth: '1990-01-01',
      documentNumber: '999999999',
      documentType: 'passport',
      issuingCountry: 'GB',
      nationality: 'GB',
      issueDate: '2021-05-28',
      expiryDate: '2031-05-28',
      sex: 'female',
    })
  })

  it('drops values it cannot trust instead of failing', () => {
    expect(
      mapOnfidoIdentity([
        {
          id: 'r',
          name: 'document',
          properties: {
            first_name: 42,
            date_of_birth: '1990-02-31',
            issuing_country: 'ZZZ',
            nationality: 'XKX',
            document_numbers: 'not a list',
            gender: 'X',
            document_type: 'brand_new_type',
          },
        },
      ]),
    ).toEqual({ nationality: 'XK', sex: 'unspecified', documentType: 'other' })
    expect(mapOnfidoIdentity([])).toBeUndefined()
    expect(onfidoCountryToAlpha2('fra')).toBe('FR')
  })
})
