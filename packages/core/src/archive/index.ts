export { type ArchiveKeyring, archiveKeysVariable, parseArchiveKeys } from './archive-keys.js'
export {
  type ArchiveDeliveryInput,
  type ArchivedEventSummary,
  ArchivedEventSummarySchema,
  type ArchivingFetchOptions,
  archiveRetentionVariable,
  createArchivingFetch,
  createRawArchive,
  defaultArchiveRetentionMs,
  type OpenedRetrievalResponse,
  type OpenedWebhookDelivery,
  type RawArchive,
  type RawArchiveOptions,
  rawArchiveFromEnvironment,
  summarizeArchivedEvent,
} from './raw-archive.js'
