import { describe, expect, it } from 'vitest'
import { codeSpans, markdownTableAfter } from '../src/index.js'

const readme = `# acme

## Status → status

Some text with a | pipe.

| Acme status   | ours        |
| ------------- | ----------- |
| \`OPEN\`        | \`created\`   |
| \`DONE\`, \`OK\`  | \`completed\` |
| \`A\\|B\`       | \`other\`     |

## Reason → code

| label | code |
|---|---|
| \`BLUR\` | \`document_unreadable\` |

| label | code |
|---|---|
| \`SPOOF\` | \`liveness_failed\` |
`

describe('markdownTableAfter', () => {
  it('reads the body rows of the first table after a heading, padding and escaped pipes handled', () => {
    expect(markdownTableAfter(readme, '## Status → status')).toEqual([
      ['`OPEN`', '`created`'],
      ['`DONE`, `OK`', '`completed`'],
      ['`A|B`', '`other`'],
    ])
  })

  it("takes a table's own header line as the marker, padded or not, and a later occurrence", () => {
    expect(markdownTableAfter(readme, '| Acme status | ours |')).toHaveLength(3)
    expect(markdownTableAfter(readme, '| label | code |')).toEqual([['`BLUR`', '`document_unreadable`']])
    expect(markdownTableAfter(readme, '| label | code |', { occurrence: 1 })).toEqual([
      ['`SPOOF`', '`liveness_failed`'],
    ])
  })

  it('fails loudly on a missing marker, a missing table, or a row that is two rows run together', () => {
    expect(() => markdownTableAfter(readme, '## Renamed')).toThrow('the document has no "## Renamed"')
    expect(() => markdownTableAfter(readme, '| label | code |', { occurrence: 2 })).toThrow('occurrence 2')
    expect(() => markdownTableAfter('## Empty\n\nNo table here.\n', '## Empty')).toThrow('no table after')
    const merged = '## T\n\n| a | b |\n|---|---|\n| `x` | `y` | | `z` | `w` |\n'
    expect(() => markdownTableAfter(merged, '## T')).toThrow('has 5 cells, its header 2')
  })
})

describe('codeSpans', () => {
  it('lists the code spans of a cell, in order, and nothing for an empty or missing cell', () => {
    expect(codeSpans('`DONE`, `OK` (both)')).toEqual(['DONE', 'OK'])
    expect(codeSpans('anything else')).toEqual([])
    expect(codeSpans(undefined)).toEqual([])
  })
})
