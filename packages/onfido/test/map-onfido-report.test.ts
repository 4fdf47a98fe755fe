import { describe, expect, it } from 'vitest'
import {
  mapOnfidoIdentity,
  mapOnfidoReport,
  mapOnfidoReports,
  mapOnfidoRunReasons,
  onfidoCountryToAlpha2,
  onfidoReportFamily,
  reasonsOfChecks,
} from '../src/index.js'
import type { OnfidoReport } from '../src/onfido-schemas.js'
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
