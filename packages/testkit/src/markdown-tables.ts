/**
 * Reading the mapping tables an adapter's README publishes, so a test can walk every row against the
 * mappers (the README is the contract users read; the test keeps it true).
 */

/** Options of {@link markdownTableAfter}. */
export type MarkdownTableOptions = {
  /** Which occurrence of the marker to start from, 0 for the first (default). */
  readonly occurrence?: number
}

/** A table line's cells: split on unescaped pipes, trimmed (formatter padding is ignored), `\|` unescaped. */
function cellsOf(line: string): string[] {
  const inner = line
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '')
  return inner.split(/(?<!\\)\|/).map((cell) => cell.trim().replaceAll('\\|', '|'))
}

/** Table lines with runs of spaces collapsed: a formatter pads cells, and a marker may be a table's header line. */
function withoutTablePadding(text: string): string {
  return text
    .split('\n')
    .map((line) => (line.trimStart().startsWith('|') ? line.replace(/ {2,}/g, ' ') : line))
    .join('\n')
}

/**
 * The body rows (header and separator left out) of the first GitHub-flavoured Markdown table after a
 * marker (a heading such as `### Status → status`, a table's own header line, or any text), as trimmed
 * cells. Cell padding does not matter, in the document or in the marker.
 *
 * @throws Error when the marker, or a table after it, is not there (a renamed heading fails loudly
 * instead of walking no rows), or when a row has more or fewer cells than the header (two rows run
 * together on one line would otherwise hide the second from the test).
 *
 * @example
 * const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
 * for (const [vendor, ours] of markdownTableAfter(readme, '### Status → status')) {
 *   expect(mapAcmeStatus(codeSpans(vendor)[0]!)).toBe(codeSpans(ours)[0])
 * }
 */
export function markdownTableAfter(
  markdown: string,
  marker: string,
  options: MarkdownTableOptions = {},
): string[][] {
  const text = withoutTablePadding(markdown)
  const target = withoutTablePadding(marker)
  let start = -1
  for (let index = 0; index <= (options.occurrence ?? 0); index++) {
    start = text.indexOf(target, start + 1)
    if (start === -1) throw new Error(`the document has no "${marker}" (occurrence ${index})`)
  }
  const lines = text.slice(start).split('\n')
  const first = lines.findIndex((line) => line.trimStart().startsWith('|'))
  if (first === -1) throw new Error(`the document has no table after "${marker}"`)
  const columns = cellsOf(lines[first]!).length
  const rows: string[][] = []
  for (const line of lines.slice(first + 2)) {
    if (!line.trimStart().startsWith('|')) break
    const cells = cellsOf(line)
    if (cells.length !== columns) {
      throw new Error(
        `a row of the table after "${marker}" has ${cells.length} cells, its header ${columns}: ${line.replace(/ {2,}/g, ' ')}`,
      )
    }
    rows.push(cells)
  }
  return rows
}

/** The contents of a cell's `code` spans, in order (`` `a`, `b` `` → `['a', 'b']`). */
export function codeSpans(cell: string | undefined): string[] {
  return [...(cell ?? '').matchAll(/`([^`]+)`/g)].map((found) => found[1]!)
}
