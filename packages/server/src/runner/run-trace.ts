/**
 * @module runner/run-trace
 * The runner's spans of one run, under the run's root span (the claim's `trace.parent`):
 * `sandbox.start`, `workspace`, `model.call` (each request of the built-in agent to its model,
 * with provider, model and tokens), `tool.call` (each tool, with its name and exit code, read from
 * the run's events), `git.commit` and `git.push`. A claim without a trace (tracing off on the
 * server) or a runner without tracing records nothing. Attributes are names, ids, counts and
 * codes: never a command, an input, an output or a token.
 */
import type { Attributes, Span } from '@opentelemetry/api';
import type { EventBody, ModelExchange } from '@lucid/contracts';
import { asLanguageModelUsage } from 'ai/internal';
import { noTracing, traceParentOf, type Tracing } from '../tracing/tracing.ts';

/** One run's trace, as the runner records it. */
export class RunTrace {
  private tool: Span | null = null;
  private model: Span | null = null;
  /** When the open model call's answer ended: its tools were called (its usage comes later). */
  private answeredAt: number | null = null;

  constructor(
    private readonly tracing: Tracing,
    /** The run's root span as a W3C `traceparent`; absent: the run is not traced. */
    private readonly parent: string | undefined,
    private readonly modelName?: string,
  ) {}

  /** A run that is not traced. */
  static readonly none = new RunTrace(noTracing, undefined);

  private get on(): boolean {
    return this.tracing.enabled && this.parent !== undefined;
  }

  /** Runs one step of the run in a span of its own (an error marks it failed). */
  step<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
    if (!this.on) return work(noSpan);
    return this.tracing.inSpan(name, { parent: this.parent, attributes }, work);
  }

  /** Follows the run's events: a `tool.call` opens a span that its `tool.result` closes. */
  onEvent(event: EventBody): void {
    if (!this.on) return;
    if (event.type === 'tool.call') {
      if (this.model) this.answeredAt ??= Date.now();
      this.tool?.end();
      this.tool = this.tracing.startSpan('tool.call', {
        parent: this.parent,
        attributes: { 'lucid.tool.name': event.tool },
      });
    } else if (event.type === 'tool.result' && this.tool) {
      this.tool.setAttributes({
        'lucid.tool.ok': event.ok,
        ...(typeof event.exitCode === 'number' ? { 'lucid.tool.exit_code': event.exitCode } : {}),
        ...(event.timedOut ? { 'lucid.tool.timed_out': true } : {}),
      });
      this.tool.end();
      this.tool = null;
    }
  }

  /**
   * A request to the model leaves: its span opens (closing the one before, whose answer was
   * read), and the headers that carry it to the gateway are answered.
   */
  modelRequest(): Record<string, string> | undefined {
    if (!this.on) return undefined;
    this.endModel();
    const [provider, ...rest] = (this.modelName ?? '').split('/');
    this.model = this.tracing.startSpan('model.call', {
      parent: this.parent,
      attributes: {
        'gen_ai.operation.name': 'chat',
        ...(provider && rest.length > 0 ? { 'gen_ai.provider.name': provider } : {}),
        ...(this.modelName ? { 'gen_ai.request.model': this.modelName } : {}),
      },
    });
    const traceparent = traceParentOf(this.model);
    return traceparent ? { traceparent } : undefined;
  }

  /** The model's answer to the last request was read: its tokens, and the end of its span. */
  modelAnswered(exchange: ModelExchange): void {
    const span = this.model;
    if (!span) return;
    if (exchange.answer.usage) {
      try {
        const usage = asLanguageModelUsage(
          exchange.answer.usage as Parameters<typeof asLanguageModelUsage>[0],
        );
        span.setAttributes({
          ...(usage.inputTokens !== undefined
            ? { 'gen_ai.usage.input_tokens': usage.inputTokens }
            : {}),
          ...(usage.outputTokens !== undefined
            ? { 'gen_ai.usage.output_tokens': usage.outputTokens }
            : {}),
        });
      } catch {
        // A usage of another shape: the span goes without its tokens.
      }
    }
    if (exchange.answer.error !== undefined) span.setAttribute('lucid.model.failed', true);
    this.endModel();
  }

  private endModel(): void {
    this.model?.end(this.answeredAt ?? undefined);
    this.model = null;
    this.answeredAt = null;
  }

  /** Ends the spans still open (a tool or model call cut short by the run's end). */
  close(): void {
    this.tool?.end();
    this.tool = null;
    this.endModel();
  }
}

/** The span given to a step that is not traced: it records nothing. */
const noSpan: Span = noTracing.startSpan('none', { parent: null });
