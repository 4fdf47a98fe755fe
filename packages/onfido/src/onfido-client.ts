import type { HttpClient } from '@openkyc/core/http'
import { encodeOnfidoMultipart, type OnfidoMultipartFile } from './onfido-multipart.js'
import {
  type OnfidoApplicant,
  OnfidoApplicantSchema,
  type OnfidoCheck,
  OnfidoCheckListSchema,
  OnfidoCheckSchema,
  type OnfidoReport,
  OnfidoReportListSchema,
  OnfidoUploadedMediaSchema,
  type OnfidoWorkflowRun,
  OnfidoWorkflowRunSchema,
} from './onfido-schemas.js'

type Signal = { signal?: AbortSignal }

const signalOf = (options: Signal) => (options.signal ? { signal: options.signal } : {})

/** The applicant fields this adapter sends. Personal data: never logged (core redacts bodies). */
export type OnfidoApplicantFields = {
  first_name?: string
  last_name?: string
  dob?: string
  email?: string
  phone_number?: string
}

/** A workflow run to create. */
export type OnfidoWorkflowRunRequest = {
  workflow_id: string
  applicant_id: string
  customer_user_id?: string
  link?: { completed_redirect_url?: string; expires_at?: string; language?: string }
}

/** A classic check to create; `consider` and `sub_result` work in the sandbox only. */
export type OnfidoCheckRequest = {
  applicant_id: string
  report_names: string[]
  document_ids?: string[]
  consider?: string[]
  sub_result?: string
}

/** A file to upload as multipart form data. */
export type OnfidoUpload = OnfidoMultipartFile

/**
 * Onfido's endpoints, one function each, over core's HTTP client. Path parameters go through
 * `pathParams` (URL-encoded, never in messages); every response is read through a lenient schema.
 *
 * @see https://documentation.onfido.com/api/latest/
 */
export function createOnfidoClient(http: HttpClient) {
  return {
    createApplicant: (options: Signal & { fields: OnfidoApplicantFields }): Promise<OnfidoApplicant> =>
      http.request({
        method: 'POST',
        path: 'applicants',
        json: options.fields,
        schema: OnfidoApplicantSchema,
        ...signalOf(options),
      }),
    getApplicant: (options: Signal & { applicantId: string }): Promise<OnfidoApplicant> =>
      http.request({
        path: 'applicants/{applicantId}',
        pathParams: { applicantId: options.applicantId },
        schema: OnfidoApplicantSchema,
        ...signalOf(options),
      }),
    updateApplicant: (options: Signal & { applicantId: string; fields: OnfidoApplicantFields }) =>
      http.request({
        method: 'PUT',
        path: 'applicants/{applicantId}',
        pathParams: { applicantId: options.applicantId },
        json: options.fields,
        schema: OnfidoApplicantSchema,
        ...signalOf(options),
      }),
    deleteApplicant: (options: Signal & { applicantId: string }) =>
      http.request({
        method: 'DELETE',
        path: 'applicants/{applicantId}',
        pathParams: { applicantId: options.applicantId },
        responseType: 'none',
        ...signalOf(options),
      }),
    restoreApplicant: (options: Signal & { applicantId: string }) =>
      http.request({
        method: 'POST',
        path: 'applicants/{applicantId}/restore',
        pathParams: { applicantId: options.applicantId },
        responseType: 'none',
        ...signalOf(options),
      }),
    createWorkflowRun: (options: Signal & { body: OnfidoWorkflowRunRequest }): Promise<OnfidoWorkflowRun> =>
      http.request({
        method: 'POST',
        path: 'workflow_runs',
        json: options.body,
        schema: OnfidoWorkflowRunSchema,
        ...signalOf(options),
      }),
    getWorkflowRun: (options: Signal & { workflowRunId: string }): Promise<OnfidoWorkflowRun> =>
      http.request({
        path: 'workflow_runs/{workflowRunId}',
        pathParams: { workflowRunId: options.workflowRunId },
        schema: OnfidoWorkflowRunSchema,
        ...signalOf(options),
      }),
    createCheck: (options: Signal & { body: OnfidoCheckRequest }): Promise<OnfidoCheck> =>
      http.request({
        method: 'POST',
        path: 'checks',
        json: options.body,
        schema: OnfidoCheckSchema,
        ...signalOf(options),
      }),
    getCheck: (options: Signal & { checkId: string }): Promise<OnfidoCheck> =>
      http.request({
        path: 'checks/{checkId}',
        pathParams: { checkId: options.checkId },
        schema: OnfidoCheckSchema,
        ...signalOf(options),
      }),
    listChecks: async (options: Signal & { applicantId: string }): Promise<OnfidoCheck[]> =>
      (
        await http.request({
          path: 'checks',
          searchParams: { applicant_id: options.applicantId },
          schema: OnfidoCheckListSchema,
          ...signalOf(options),
        })
      ).checks,
    listReports: async (options: Signal & { checkId: string }): Promise<OnfidoReport[]> =>
      (
        await http.request({
          path: 'reports',
          searchParams: { check_id: options.checkId },
          schema: OnfidoReportListSchema,
          ...signalOf(options),
        })
      ).reports,
    uploadDocument: async (
      options: Signal & {
        applicantId: string
        file: OnfidoUpload
        type: string
        side?: 'front' | 'back'
        issuingCountry?: string
      },
    ): Promise<string> => {
      const fields: [string, string][] = [
        ['applicant_id', options.applicantId],
        ['type', options.type],
      ]
      if (options.side) fields.push(['side', options.side])
      if (options.issuingCountry) fields.push(['issuing_country', options.issuingCountry])
      const uploaded = await http.request({
        method: 'POST',
        path: 'documents',
        ...multipart(fields, options.file),
        schema: OnfidoUploadedMediaSchema,
        ...signalOf(options),
      })
      return uploaded.id
    },
    uploadLivePhoto: async (
      options: Signal & { applicantId: string; file: OnfidoUpload },
    ): Promise<string> => {
      const uploaded = await http.request({
        method: 'POST',
        path: 'live_photos',
        ...multipart([['applicant_id', options.applicantId]], options.file),
        schema: OnfidoUploadedMediaSchema,
        ...signalOf(options),
      })
      return uploaded.id
    },
  }
}

/** The endpoints {@link createOnfidoClient} returns. */
export type OnfidoClient = ReturnType<typeof createOnfidoClient>

/** An upload's request body and its `Content-Type` (with the boundary). */
function multipart(fields: readonly (readonly [string, string])[], file: OnfidoUpload) {
  const { chunks, contentType } = encodeOnfidoMultipart(fields, { name: 'file', file })
  return { body: chunks, headers: { 'content-type': contentType } }
}
