import { scenarioIds } from '@openkyc/testkit/catalogue'
import { describe, expect, it } from 'vitest'
import { CliUsageError, defaultDataDirectory, defaultPort, parseCliOptions } from '../src/cli-options.js'

describe('parseCliOptions', () => {
  it('runs all three providers, the whole catalogue and the web page by default', () => {
    expect(parseCliOptions([])).toEqual({
      providers: ['jumio', 'persona', 'onfido'],
      scenarios: scenarioIds,
      json: false,
      web: true,
      port: defaultPort,
      dataDirectory: defaultDataDirectory,
      resetData: false,
      help: false,
    })
  })

  it('reads every flag', () => {
    const options = parseCliOptions([
      '--provider',
      'persona',
      '--scenario',
      'underage',
      '--scenario',
      'clean_approve',
      '--json',
      '--no-web',
      '--port',
      '0',
      '--data-dir',
      '/tmp/openkyc-demo',
      '--reset-data',
    ])
    expect(options).toEqual({
      providers: ['persona'],
      // Catalogue order, whatever the order on the command line.
      scenarios: ['clean_approve', 'underage'],
      json: true,
      web: false,
      port: 0,
      dataDirectory: '/tmp/openkyc-demo',
      resetData: true,
      help: false,
    })
    expect(parseCliOptions(['--memory']).dataDirectory).toBeUndefined()
  })

  it.each([
    [['--provider', 'veriff'], /Unknown provider "veriff": use jumio, persona or onfido/],
    [['--scenario', 'clean-approve'], /Unknown scenario "clean-approve": choose from clean_approve, /],
    [['--port', 'eighty'], /Invalid --port "eighty"/],
    [['--port', '70000'], /Invalid --port "70000"/],
    [['--verbose'], /Unknown option '--verbose'/],
    [['extra'], /positional argument/i],
    [['--provider'], /argument missing/],
    [['--memory', '--reset-data'], /--memory keeps no data/],
    [['--memory', '--data-dir', 'x'], /--memory keeps no data/],
    [['--data-dir', ' '], /--data-dir needs a path/],
  ])('rejects %j with a one-line usage error', (argv, message) => {
    let thrown: unknown
    try {
      parseCliOptions(argv)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(CliUsageError)
    expect((thrown as Error).message).toMatch(message)
    expect((thrown as Error).message).not.toContain('\n')
  })

  it('ignores a leading -- separator', () => {
    expect(parseCliOptions(['--', '--json']).json).toBe(true)
    expect(() => parseCliOptions(['--json', '--', 'x'])).toThrow(CliUsageError)
  })

  it('asks for help with -h', () => {
    expect(parseCliOptions(['-h']).help).toBe(true)
  })
})
