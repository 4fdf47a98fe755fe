import type { Context } from 'hono'
import type { PersonaEnv, PersonaRouteContext } from './context.js'
import { badRequest, readDocument } from './json-api.js'
import type { StoredResource } from './state.js'

/**
 * Tag handling shared by inquiries and accounts (`add-tag`, `remove-tag`, `set-tags`): tags are named;
 * `meta.tag-id` refers to a tag by id (`tag_…`), which the simulator keeps in a `tag` collection.
 */

function tagByName(context: PersonaRouteContext, name: string): StoredResource {
  const tags = context.state.collection('tag')
  const existing = tags.list().find((tag) => tag.attributes.name === name)
  if (existing !== undefined) return existing
  return tags.insert({
    type: 'tag',
    id: context.newId('tag'),
    createdAtMs: context.now(),
    attributes: { name },
  })
}

function nameOfTagId(context: PersonaRouteContext, id: string): string {
  const tag = context.state.collection('tag').get(id)
  if (tag === undefined) throw badRequest(`Unknown tag id`, '/meta/tag-id')
  return String(tag.attributes.name)
}

function readTagNames(meta: Record<string, unknown>, context: PersonaRouteContext, many: boolean): string[] {
  const byName = meta['tag-name']
  const byId = meta['tag-id']
  if (many) {
    if (Array.isArray(byName) && byName.every((item) => typeof item === 'string')) return byName as string[]
    if (Array.isArray(byId) && byId.every((item) => typeof item === 'string'))
      return (byId as string[]).map((id) => nameOfTagId(context, id))
    throw badRequest('meta.tag-name or meta.tag-id must be an array of strings', '/meta')
  }
  if (typeof byName === 'string' && byName !== '') return [byName]
  if (typeof byId === 'string' && byId !== '') return [nameOfTagId(context, byId)]
  throw badRequest('meta.tag-name or meta.tag-id is required', '/meta')
}

/** Applies `add-tag`, `remove-tag` or `set-tags` from the request body to a resource's `tags`. */
export async function applyTagAction(
  c: Context<PersonaEnv>,
  context: PersonaRouteContext,
  resource: StoredResource,
  action: 'add-tag' | 'remove-tag' | 'set-tags',
): Promise<void> {
  const document = await readDocument(c)
  const names = readTagNames(document.meta ?? {}, context, action === 'set-tags')
  for (const name of names) tagByName(context, name)
  const current = (resource.attributes.tags as string[] | undefined) ?? []
  if (action === 'add-tag')
    resource.attributes.tags = current.includes(names[0]!) ? current : [...current, names[0]!]
  else if (action === 'remove-tag') resource.attributes.tags = current.filter((tag) => tag !== names[0])
  else resource.attributes.tags = [...new Set(names)]
}
