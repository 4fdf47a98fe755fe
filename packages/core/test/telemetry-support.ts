import { context, metrics, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  AggregationTemporality,
  type DataPoint,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'

/** A metric reader the test collects from on demand; each collection holds what was recorded since the last. */
class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA })
  }

  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/**
 * Registers a real OpenTelemetry SDK (tracer, meter, async context) globally, as an application
 * would, with in-memory exporters the test reads.
 */
export function installTelemetry() {
  const spans = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] })
  const reader = new CollectingReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  const contextManager = new AsyncLocalStorageContextManager().enable()
  context.setGlobalContextManager(contextManager)
  trace.setGlobalTracerProvider(tracerProvider)
  metrics.setGlobalMeterProvider(meterProvider)

  const collect = async (): Promise<ResourceMetrics> => (await reader.collect()).resourceMetrics
  return {
    spans,
    collect,
    /** Collects what was recorded since the last collection; `points(name)` reads one metric's data points. */
    async snapshot() {
      const collected = await collect()
      const all = collected.scopeMetrics.flatMap((scope) => scope.metrics)
      return {
        points: (name: string): DataPoint<unknown>[] =>
          all
            .filter((metric) => metric.descriptor.name === name)
            .flatMap((metric) => metric.dataPoints as DataPoint<unknown>[]),
        sum: (name: string): number =>
          all
            .filter((metric) => metric.descriptor.name === name)
            .flatMap((metric) => metric.dataPoints as DataPoint<unknown>[])
            .reduce((total, point) => total + (point.value as number), 0),
      }
    },
    /** Every finished span as plain text (name, attributes, events, status), to search. */
    spanText(): string {
      return JSON.stringify(
        spans.getFinishedSpans().map((span) => ({
          name: span.name,
          attributes: span.attributes,
          events: span.events.map((event) => ({ name: event.name, attributes: event.attributes })),
          status: span.status,
        })),
      )
    },
    async uninstall() {
      trace.disable()
      metrics.disable()
      context.disable()
      await tracerProvider.shutdown()
      await meterProvider.shutdown()
    },
  }
}
