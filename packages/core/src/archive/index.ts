export { type ArchiveKeyring, archiveKeysVariable, parseArchiveKeys } from './archive-keys.js'
export {
  type ArchiveDeliveryInput,
  type ArchivedEventSummary,
  ArchivedEventSummarySchema,
  archiveRetentionVariable,
  createRawArchive,
  defaultArchiveRetentionMs,
  type OpenedWebhookDelivery,
  type RawArchive,
  type RawArchiveOptions,
  rawArchiveFromEnvironment,
  summarizeArchivedEvent,
} from './raw-archive.js'
