import type { SimulatorTimer } from '@openkyc/testkit/harness'
import type { JumioAccountRequest } from './jumio-account-request.js'
import type { JumioResult } from './jumio-results.js'
import type { JumioScenarioChoice } from './jumio-scenarios.js'
import type { JumioChannel, JumioCredentialCategory, JumioWorkflowDefinition } from './jumio-workflows.js'

/**
 * The simulator's in-memory records: accounts, workflow executions and credentials, with the bytes
 * of every uploaded part. Nothing here is serialized as it is; `jumio-payloads.ts` renders responses.
 */

/** Workflow execution statuses (DOC statusMappings). */
export type JumioWorkflowStatus = 'INITIATED' | 'ACQUIRED' | 'PROCESSED' | 'SESSION_EXPIRED' | 'TOKEN_EXPIRED'

/** One stored part of a credential (an image, a facemap, prepared data). */
export type StoredPart = {
  classifier: string
  contentType: string
  bytes: Uint8Array
  uploadedAt: number
}

/** One credential. Credentials belong to the account; `workflowExecutionId` is where it was created. */
export type StoredCredential = {
  id: string
  category: JumioCredentialCategory
  allowedChannels: readonly JumioChannel[]
  accountId: string
  workflowExecutionId: string
  /** Country/type presets from the request, echoed back in the create response when given. */
  country?: { predefinedType?: string; values?: string[] }
  type?: { predefinedType?: string; values?: string[] }
  /** A credential already on file, referenced by `id` in the request (WF 5). */
  onFile: boolean
  parts: Map<string, StoredPart>
  /** How it was captured: through the API channel or the hosted page (web/SDK). */
  capturedVia?: 'API' | 'WEB'
  deleted: boolean
}

/** One workflow execution (one transaction). */
export type StoredExecution = {
  id: string
  accountId: string
  workflow: JumioWorkflowDefinition
  request: JumioAccountRequest
  /** The credentials in the order the create response lists them (ids into the account's map). */
  credentialIds: string[]
  /** Credentials referenced from an earlier execution by `id` (WF 5): shown with `allowedChannels: []`. */
  onFileCredentialIds: Set<string>
  status: JumioWorkflowStatus
  createdAt: number
  /** When the applicant (or the API client) first did something: first upload or hosted page visit. */
  startedAt?: number
  /** Last upload or capture, for the 15-minute inactivity timeout. */
  lastActivityAt?: number
  acquiredAt?: number
  completedAt?: number
  token: string
  tokenExpiresAt: number
  /** The scenario this execution realises (magic input or control API); undefined means clean approve. */
  scenario?: JumioScenarioChoice
  /** Computed once at processing time, so ids and values stay stable across retrievals. */
  result?: JumioResult
  /** Retrieval shows `ACQUIRED` until this clock time even though the callback said PROCESSED. */
  retrievalReadyAt?: number
  timers: SimulatorTimer[]
  deleted: boolean
}

/** One account (one end user at the tenant). */
export type StoredAccount = {
  id: string
  createdAt: number
  executionIds: string[]
  credentials: Map<string, StoredCredential>
  deleted: boolean
}

/** The whole store of one simulator. */
export class JumioStore {
  readonly accounts = new Map<string, StoredAccount>()
  readonly executions = new Map<string, StoredExecution>()

  /** The live (not deleted) account with this id. */
  account(accountId: string): StoredAccount | undefined {
    const account = this.accounts.get(accountId)
    return account === undefined || account.deleted ? undefined : account
  }

  /** The live execution with this id under this account. */
  execution(accountId: string, workflowExecutionId: string): StoredExecution | undefined {
    const account = this.account(accountId)
    const execution = this.executions.get(workflowExecutionId)
    if (account === undefined || execution === undefined || execution.deleted) return undefined
    return execution.accountId === account.id ? execution : undefined
  }

  /** The live execution with this id, whatever its account. */
  executionById(workflowExecutionId: string): StoredExecution | undefined {
    const execution = this.executions.get(workflowExecutionId)
    if (execution === undefined || execution.deleted) return undefined
    return this.account(execution.accountId) === undefined ? undefined : execution
  }

  /** The credentials of an execution, in response order. */
  credentialsOf(execution: StoredExecution): StoredCredential[] {
    const account = this.accounts.get(execution.accountId)
    if (account === undefined) return []
    const credentials: StoredCredential[] = []
    for (const id of execution.credentialIds) {
      const credential = account.credentials.get(id)
      if (credential === undefined) continue
      credentials.push(execution.onFileCredentialIds.has(id) ? { ...credential, onFile: true } : credential)
    }
    return credentials
  }
}
