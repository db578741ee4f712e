/**
 * @module tracing/tracing
 * OpenTelemetry traces of runs, sent over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
 * Each server (and each `lucid runner`) has its own tracer provider, never the process's global
 * one (tests run several servers in one process, as with the metrics' registry); no context
 * manager is installed: a span's parent is always passed, as a W3C `traceparent` or a span.
 *
 * A run's trace is one root span `run`, from its claim to its end, whose ids are chosen when the
 * run is claimed and stored with it (`runs.trace_parent`), so that every part of the run's work —
 * the claim on the server, the runner's steps on any host, the publish and deploy jobs later —
 * joins it as a child, and the root itself is recorded once the run ends, with those same ids,
 * by whichever server sees the end. Turned off, every call is a no-op and nothing is sent.
 */
import { randomBytes } from 'node:crypto';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  ProxyTracerProvider,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  RandomIdGenerator,
  TracerProvider,
  type IdGenerator,
} from '@opentelemetry/sdk-trace';
import type { TracingConfig } from '../config.ts';

/** A span's parent: a W3C `traceparent` (stored or received), a span, or none (a new trace). */
export type SpanParent = string | Span | null | undefined;

/** What the root span `run` of a run's trace says, recorded once the run has ended. */
export interface RunSpan {
  traceParent: string;
  start: Date;
  end: Date;
  attributes: Attributes;
  /** Set when the run did not succeed. */
  error?: string | undefined;
}

/** The tracing of one server or runner: on (exporting) or off (every span a no-op). */
export interface Tracing {
  readonly enabled: boolean;
  /**
   * A new run's trace: a fresh trace id and its root span's id, as a W3C `traceparent`; null
   * when tracing is off (the run then has no trace).
   */
  newRunTrace(): string | null;
  /** Starts a span under `parent`; end it (or use {@link Tracing.inSpan}). */
  startSpan(
    name: string,
    options: { parent: SpanParent; attributes?: Attributes; startTime?: Date | number },
  ): Span;
  /**
   * Runs `work` in a span under `parent`, ending it when `work` settles: a throw marks the span
   * as an error (its message, never a value of the work's) and is thrown again.
   */
  inSpan<T>(
    name: string,
    options: { parent: SpanParent; attributes?: Attributes },
    work: (span: Span) => Promise<T>,
  ): Promise<T>;
  /** Records a run's root span `run` with the ids of its `traceParent`. */
  recordRun(run: RunSpan): void;
  /** Sends what is buffered, and stops. */
  shutdown(): Promise<void>;
}

/** A trace id as W3C's `traceparent` carries it: 32 hex digits, not all zero. */
const TRACE_PARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The trace id and span id of a W3C `traceparent` (version 00); null when it is not one.
 *
 * @example
 * parseTraceParent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')?.traceId
 */
export function parseTraceParent(
  value: string | null | undefined,
): { traceId: string; spanId: string; flags: number } | null {
  const match = value ? TRACE_PARENT.exec(value.trim()) : null;
  if (!match?.[1] || !match[2] || !match[3]) return null;
  if (/^0+$/.test(match[1]) || /^0+$/.test(match[2])) return null;
  return { traceId: match[1], spanId: match[2], flags: Number.parseInt(match[3], 16) };
}

/** The W3C `traceparent` naming a span, for a request or a job that continues its trace. */
export function traceParentOf(span: Span): string | null {
  const context = span.spanContext();
  if (!trace.isSpanContextValid(context)) return null;
  const flags = context.traceFlags.toString(16).padStart(2, '0');
  return `00-${context.traceId}-${context.spanId}-${flags}`;
}

/** The trace id a `traceparent` names, or undefined: what a log line carries as `traceId`. */
export function traceIdOf(traceParent: string | null | undefined): string | undefined {
  return parseTraceParent(traceParent)?.traceId;
}

function contextOf(parent: SpanParent): Context {
  if (!parent) return ROOT_CONTEXT;
  if (typeof parent !== 'string') return trace.setSpan(ROOT_CONTEXT, parent);
  const ids = parseTraceParent(parent);
  if (!ids) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: ids.traceId,
    spanId: ids.spanId,
    traceFlags: ids.flags & TraceFlags.SAMPLED,
    isRemote: true,
  });
}

/**
 * Random ids, except while a span is started with ids chosen before (a run's root, whose ids
 * were stored at its claim): `startSpan` asks for them synchronously, so pinning them around that
 * one call gives them to that span alone.
 */
class PinnableIds implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  private pinned: { traceId: string; spanId: string } | null = null;

  generateTraceId(): string {
    return this.pinned?.traceId ?? this.random.generateTraceId();
  }

  generateSpanId(): string {
    return this.pinned?.spanId ?? this.random.generateSpanId();
  }

  with<T>(ids: { traceId: string; spanId: string }, start: () => T): T {
    this.pinned = ids;
    try {
      return start();
    } finally {
      this.pinned = null;
    }
  }
}

class SpanTracing implements Tracing {
  constructor(
    readonly enabled: boolean,
    private readonly tracer: Tracer,
    private readonly ids: PinnableIds | null,
    private readonly stop: () => Promise<void>,
  ) {}

  newRunTrace(): string | null {
    if (!this.enabled) return null;
    return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
  }

  startSpan(
    name: string,
    options: { parent: SpanParent; attributes?: Attributes; startTime?: Date | number },
  ): Span {
    return this.tracer.startSpan(
      name,
      {
        kind: SpanKind.INTERNAL,
        ...(options.attributes ? { attributes: options.attributes } : {}),
        ...(options.startTime !== undefined ? { startTime: options.startTime } : {}),
      },
      contextOf(options.parent),
    );
  }

  async inSpan<T>(
    name: string,
    options: { parent: SpanParent; attributes?: Attributes },
    work: (span: Span) => Promise<T>,
  ): Promise<T> {
    const span = this.startSpan(name, options);
    try {
      return await work(span);
    } catch (error) {
      failed(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  recordRun(run: RunSpan): void {
    const ids = parseTraceParent(run.traceParent);
    if (!this.enabled || !this.ids || !ids) return;
    const span = this.ids.with(ids, () =>
      this.tracer.startSpan(
        'run',
        { kind: SpanKind.INTERNAL, attributes: run.attributes, startTime: run.start, root: true },
        ROOT_CONTEXT,
      ),
    );
    if (run.error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: run.error });
    span.end(run.end);
  }

  shutdown(): Promise<void> {
    return this.stop();
  }
}

/** Marks a span as failed with the error's message. */
export function failed(span: Span, error: unknown): void {
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

/** Tracing turned off: no-op spans, nothing sent. */
export const noTracing: Tracing = new SpanTracing(
  false,
  // A provider of its own with no delegate: no-op, whatever the process's global one is.
  new ProxyTracerProvider().getTracer('lucid'),
  null,
  async () => {},
);

/**
 * This server's (or runner's) tracing: exporting to `<endpoint>/v1/traces` over OTLP/HTTP (JSON), or
 * {@link noTracing} when there are no settings.
 *
 * @example
 * const tracing = startTracing(config.tracing);
 * // …
 * await tracing.shutdown();
 */
export function startTracing(settings: TracingConfig | null | undefined): Tracing {
  if (!settings) return noTracing;
  const ids = new PinnableIds();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    idGenerator: ids,
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: `${settings.endpoint}/v1/traces` }),
      }),
    ],
  });
  return new SpanTracing(true, provider.getTracer('lucid'), ids, () => provider.shutdown());
}
