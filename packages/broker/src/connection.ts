// One client connection: framing, dispatch to handlers, in-order answers, backpressure, closing.
//
// Life of a frame:
//   socket 'data' ──▶ framing ──▶ backlog (complete frames not yet dispatched)
//                                    │ dispatched while fewer than maxInFlight requests are pending
//                                    ▼
//                   decode ──▶ handler.handle() ──▶ slot in `slots` (request order)
//                                                     │ answers leave strictly from the head
//                                                     ▼
//                                                 socket.write
//
// Reading from the socket is paused while the backlog is not empty, while maxInFlight requests
// are pending, or while the socket's write buffer is full (write() returned false, until
// 'drain'). So a connection holds at most one read chunk of unprocessed frames, plus one partial
// frame, plus maxInFlight requests and their answers.
//
// Until the connection has sent one valid request (decoded, for a version its handler declares)
// frames are limited to maxFirstRequestBytes and are cut one at a time here; after it the
// codec's FrameSplitter does the framing with the maxRequestBytes limit. In both cases a declared
// size over the limit closes the connection as soon as its 4 bytes arrive, before anything is
// allocated for the frame.
//
// All the work happens in kick(): a loop of step() until nothing moves. Socket events and
// handler completions only update state and call kick().

import type { Socket } from 'node:net';
import {
  apiByKey,
  ApiKey,
  decodeRequest,
  encodeResponse,
  FrameSizeError,
  FrameSplitter,
  ProtocolError,
  UnsupportedVersionError,
  type DecodedRequest,
  type RequestHeader,
} from '@floe/protocol';
import { ANONYMOUS } from '@floe/authz';
import { LogLimiter } from './log-limiter.ts';
import { CLOSE_CONNECTION, NO_RESPONSE, type RequestContext } from './handler.ts';
import { unsupportedApiVersionsAnswer } from './handlers/api-versions.ts';
import type { LogFields, Logger } from './logger.ts';
import type { HandlerRegistry } from './registry.ts';
import { SaslSession, type SaslSettings } from './sasl-session.ts';

/** What the listener observed about one request frame (for metrics and tests). */
export interface RequestEvent {
  connectionId: number;
  clientAddress: string;
  /** -1 when the frame was too short to hold a header. */
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** Size of the request frame (without its 4-byte length prefix). */
  bytes: number;
  /**
   * dispatched: handed to its handler.
   * unsupported-version: ApiVersions of a version not served, answered with v0 (KIP-511).
   * rejected: the connection is closed because of it (unknown api key, version not declared by
   *   a handler, API without handler, malformed frame).
   */
  outcome: 'dispatched' | 'unsupported-version' | 'rejected';
}

export interface ConnectionSettings {
  readonly registry: HandlerRegistry;
  readonly logger: Logger;
  readonly maxRequestBytes: number;
  readonly maxFirstRequestBytes: number;
  readonly idleTimeoutMs: number;
  readonly maxInFlight: number;
  /** How long a closing connection waits for the client to close after our FIN. */
  readonly lingerMs: number;
  readonly onRequest: ((event: RequestEvent) => void) | undefined;
  /** A request answered later than this is logged at warn (beyond the wait Fetch asks for). */
  readonly slowRequestMs: number;
  /** Shared by the listener's connections: bounds the warnings clients can cause. */
  readonly clientFaultLog: LogLimiter;
  /** The listener's name, told to handlers (the advertised addresses depend on it). */
  readonly listenerName: string | undefined;
  /** Set on SASL listeners: connections must authenticate before anything else. */
  readonly sasl: SaslSettings | undefined;
}

export type ConnectionState = 'open' | 'draining' | 'failing' | 'ending' | 'closed';

export interface ConnectionInfo {
  id: number;
  clientAddress: string;
  state: ConnectionState;
  /** A valid request was seen, so the maxRequestBytes limit applies (else maxFirstRequestBytes). */
  established: boolean;
  bytesRead: number;
  bytesWritten: number;
  /** Requests dispatched whose answers are not written yet. */
  inFlight: number;
  /** Complete frames waiting to be dispatched. */
  backlog: number;
  readingPaused: boolean;
  writeBlocked: boolean;
}

/** A pending request, in request order. */
interface Slot {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  /** performance.now() at dispatch. */
  readonly started: number;
  done: boolean;
  /** The answer, or null when there is nothing to send. */
  frame: Buffer | null;
  /** When set: close the connection (with this reason) once this slot reaches the head. */
  close: string | undefined;
}

function identity(frame: Buffer): { apiKey: number; apiVersion: number; correlationId: number } {
  if (frame.length < 8) return { apiKey: -1, apiVersion: -1, correlationId: -1 };
  return { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2), correlationId: frame.readInt32BE(4) };
}

function apiName(apiKey: number): string {
  return apiByKey(apiKey)?.name ?? `unknown(${apiKey})`;
}

/** APIs whose requests wait by design (for other members of a group), so their time is not slowness. */
const WAITING_APIS: ReadonlySet<number> = new Set([ApiKey.JoinGroup, ApiKey.SyncGroup]);

/** How long a request may take before it is logged as slow: its own wait (Fetch) plus the threshold. */
function slowAfterMs(request: DecodedRequest, slowRequestMs: number): number {
  if (WAITING_APIS.has(request.apiKey)) return Infinity;
  if (request.apiKey === ApiKey.Fetch) return Math.max(0, request.body.maxWaitMs) + slowRequestMs;
  return slowRequestMs;
}

/**
 * What a handler sees of its request. The request's child logger is made on first use only: most
 * requests (every successful produce and fetch) write no line, and pino's child() costs a copy
 * of the bindings.
 */
class RequestScope implements RequestContext {
  readonly connectionId: number;
  readonly clientId: string | null;
  readonly clientAddress: string;
  readonly principal: string;
  readonly listenerName: string | undefined;
  readonly sasl: SaslSession | undefined;
  readonly signal: AbortSignal;
  readonly requestId: string;
  readonly header: RequestHeader;
  private readonly parent: Logger;
  private child: Logger | undefined;

  constructor(connection: Connection, parent: Logger, header: RequestHeader, signal: AbortSignal) {
    this.connectionId = connection.id;
    this.clientId = header.clientId;
    this.clientAddress = connection.clientAddress;
    this.principal = connection.principal;
    this.listenerName = connection.listenerName;
    this.sasl = connection.sasl;
    this.signal = signal;
    this.requestId = requestIdOf(connection.id, header.correlationId);
    this.parent = parent;
    this.header = header;
  }

  get logger(): Logger {
    this.child ??= this.parent.child({ requestId: this.requestId, api: apiName(this.header.apiKey), apiVersion: this.header.apiVersion });
    return this.child;
  }
}

/** Fields of a line written through a request's logger, which already names the API and version. */
function scopeFields(h: RequestHeader): LogFields {
  return { correlationId: h.correlationId, clientId: h.clientId };
}

function elapsedMs(slot: Slot): number {
  return Math.round(performance.now() - slot.started);
}

/** Unique on the node while the connection lives; the client's logs show the correlation id too. */
export function requestIdOf(connectionId: number, correlationId: number): string {
  return `${connectionId}-${correlationId}`;
}

export class Connection {
  readonly id: number;
  readonly clientAddress: string;
  readonly listenerName: string | undefined;
  /** The SASL state, on SASL listeners. */
  readonly sasl: SaslSession | undefined;
  /** The TLS client certificate's principal (mTLS), when there is one. */
  private readonly certificatePrincipal: string | undefined;
  private authTimer: NodeJS.Timeout | undefined;
  private readonly socket: Socket;
  private readonly settings: ConnectionSettings;
  /** The listener's logger with this connection's id and peer address on every line. */
  private readonly logger: Logger;
  private readonly onClosed: (c: Connection) => void;
  private readonly abort: AbortController;
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;

  private state: ConnectionState = 'open';
  private established = false;
  /** Size of the frame being dispatched, for the request hook. */
  private frameBytes = 0;
  /** Before the first valid request: raw bytes not yet cut into frames. */
  private head: Buffer[] = [];
  private headBytes = 0;
  /** After it. */
  private splitter: FrameSplitter | undefined;
  private backlog: Buffer[] = [];
  private backlogStart = 0;
  private slots: Slot[] = [];
  private readingPaused = false;
  private writeBlocked = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private busy = false;
  private again = false;

  constructor(socket: Socket, id: number, settings: ConnectionSettings, onClosed: (c: Connection) => void, certificatePrincipal?: string) {
    this.id = id;
    this.listenerName = settings.listenerName;
    this.certificatePrincipal = certificatePrincipal;
    this.sasl = settings.sasl ? new SaslSession(settings.sasl) : undefined;
    this.socket = socket;
    this.settings = settings;
    this.onClosed = onClosed;
    this.clientAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.logger = settings.logger.child({ connectionId: id, peer: this.clientAddress });
    this.abort = new AbortController();
    this.closedPromise = new Promise<void>((resolve) => (this.resolveClosed = resolve));

    socket.setTimeout(settings.idleTimeoutMs);
    socket.on('timeout', () => this.onIdle());
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.log('debug', 'socket error', { error: e.message }));
    socket.on('close', () => this.onSocketClose());
    if (this.sasl) {
      this.authTimer = setTimeout(() => {
        if (this.sasl?.authenticated === false && this.state !== 'closed') {
          this.log('info', 'no SASL authentication in time, closing the connection', { authTimeoutMs: this.sasl.settings.authTimeoutMs });
          this.destroy();
        }
      }, this.sasl.settings.authTimeoutMs);
      this.authTimer.unref();
    }
    this.log('debug', 'connection opened', {});
  }

  /**
   * Who the connection is: the SASL principal once authenticated, else the client certificate's
   * (mTLS), else `User:ANONYMOUS`.
   */
  get principal(): string {
    if (this.sasl?.authenticated) return this.sasl.principal;
    return this.certificatePrincipal ?? ANONYMOUS;
  }

  /** Frames may be large and pipelined only once the connection is authenticated (when it must be). */
  private get trusted(): boolean {
    return this.sasl === undefined || this.sasl.authenticated;
  }

  /** Resolves once the socket is closed. */
  get closed(): Promise<void> {
    return this.closedPromise;
  }

  info(): ConnectionInfo {
    return {
      id: this.id,
      clientAddress: this.clientAddress,
      state: this.state,
      established: this.established,
      bytesRead: this.socket.bytesRead,
      bytesWritten: this.socket.bytesWritten,
      inFlight: this.slots.length,
      backlog: this.backlog.length - this.backlogStart,
      readingPaused: this.readingPaused,
      writeBlocked: this.writeBlocked,
    };
  }

  /**
   * Graceful close: dispatch nothing more (frames received but not dispatched are dropped), let
   * the pending requests finish and their answers be written, then close.
   */
  drain(): void {
    if (this.state !== 'open') return;
    this.state = 'draining';
    this.dropInput();
    this.kick();
  }

  /** Closes at once; pending requests are aborted and their answers dropped. */
  destroy(): void {
    if (this.state === 'closed') return;
    this.abort.abort(new Error('connection closed'));
    this.socket.destroy();
  }

  // ------------------------------------------------------------------------------------------
  // Socket events
  // ------------------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.state !== 'open') return; // closing: input is discarded
    if (!this.established || this.headBytes > 0) {
      // Bytes left in `head` move to the splitter first (step), so order is kept.
      this.head.push(chunk);
      this.headBytes += chunk.length;
    } else {
      this.splitInto(chunk);
    }
    this.kick();
  }

  private onIdle(): void {
    if (this.state === 'closed') return;
    if (this.slots.length > 0 || this.backlog.length > this.backlogStart) {
      // Busy, not idle: a long request (a Fetch waiting for data, a JoinGroup) keeps it open.
      this.socket.setTimeout(this.settings.idleTimeoutMs);
      return;
    }
    this.log('debug', 'closing idle connection', { idleTimeoutMs: this.settings.idleTimeoutMs });
    this.destroy();
  }

  private onSocketClose(): void {
    this.state = 'closed';
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    if (this.authTimer !== undefined) clearTimeout(this.authTimer);
    this.abort.abort(new Error('connection closed'));
    this.slots = [];
    this.dropInput();
    this.log('debug', 'connection closed', {
      bytesRead: this.socket.bytesRead,
      bytesWritten: this.socket.bytesWritten,
    });
    this.onClosed(this);
    this.resolveClosed();
  }

  // ------------------------------------------------------------------------------------------
  // The loop
  // ------------------------------------------------------------------------------------------

  private kick(): void {
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    try {
      do {
        this.again = false;
        this.step();
      } while (this.again && this.state !== 'closed');
    } catch (e) {
      // A bug here must not take the process down: drop this connection only.
      this.log('error', 'internal error, closing the connection', { error: e });
      this.destroy();
    } finally {
      this.busy = false;
    }
  }

  private step(): void {
    if (this.state === 'closed' || this.state === 'ending') return;
    this.flush();
    if ((this.state as ConnectionState) === 'ending') return; // flush() may have ended it

    // Before authentication: one request at a time, so none is dispatched before the SASL answer
    // that would have allowed it.
    const maxInFlight = this.trusted ? this.settings.maxInFlight : 1;
    while (this.state === 'open' && this.backlogStart < this.backlog.length && this.slots.length < maxInFlight) {
      const frame = this.backlog[this.backlogStart]!;
      this.backlog[this.backlogStart++] = undefined as unknown as Buffer;
      if (this.backlogStart === this.backlog.length) {
        this.backlog = [];
        this.backlogStart = 0;
      }
      this.dispatch(frame);
      this.again = true;
    }

    if (this.state === 'open' && this.backlogStart === this.backlog.length) {
      if (!this.established) {
        const frame = this.cutFirstFrame();
        if (frame !== undefined) {
          this.backlog.push(frame);
          this.again = true;
        }
      } else if (this.headBytes > 0) {
        const chunks = this.head;
        this.head = [];
        this.headBytes = 0;
        for (const c of chunks) if (this.state === 'open') this.splitInto(c);
        this.again = true;
      }
    }

    if ((this.state === 'draining' || this.state === 'failing') && this.slots.length === 0) {
      this.end(this.state === 'draining' ? 'listener shutting down' : 'closing after an error');
      return;
    }
    this.updateReading();
  }

  /** Writes the answers at the head of the queue that are ready; ends at a close marker. */
  private flush(): void {
    let corked = false;
    while (this.slots.length > 0 && this.slots[0]!.done) {
      const slot = this.slots.shift()!;
      if (slot.close !== undefined) {
        if (corked) this.socket.uncork();
        this.end(slot.close);
        return;
      }
      if (slot.frame === null) continue;
      if (!corked) {
        this.socket.cork();
        corked = true;
      }
      if (!this.socket.write(slot.frame)) this.blockWrites();
      this.again = true;
    }
    if (corked) this.socket.uncork();
  }

  private blockWrites(): void {
    if (this.writeBlocked) return;
    this.writeBlocked = true;
    this.socket.once('drain', () => {
      this.writeBlocked = false;
      this.kick();
    });
  }

  private updateReading(): void {
    let read: boolean;
    switch (this.state) {
      case 'open':
        read =
          !this.writeBlocked &&
          this.backlogStart === this.backlog.length &&
          this.slots.length < (this.trusted ? this.settings.maxInFlight : 1);
        break;
      case 'failing':
        read = false; // do not read what a misbehaving client keeps sending
        break;
      default:
        // Draining or ending: read and discard, so closing sends FIN rather than RST. Not for a
        // connection that never authenticated: what it keeps sending is not worth reading.
        read = this.trusted;
    }
    if (read && this.readingPaused) {
      this.readingPaused = false;
      this.socket.resume();
    } else if (!read && !this.readingPaused) {
      this.readingPaused = true;
      this.socket.pause();
    }
  }

  /** Sends FIN after the written answers; the socket is destroyed if the client lingers. */
  private end(reason: string): void {
    if (this.state === 'ending' || this.state === 'closed') return;
    this.state = 'ending';
    this.abort.abort(new Error(`connection closing: ${reason}`));
    this.slots = [];
    this.dropInput();
    this.log('debug', 'closing connection', { reason });
    this.socket.end();
    this.updateReading();
    this.lingerTimer = setTimeout(() => this.socket.destroy(), this.settings.lingerMs);
    this.lingerTimer.unref();
  }

  /** Stops taking requests, and closes once the answers already queued before are written. */
  private fail(level: 'info' | 'warn' | 'error', message: string, fields: LogFields): void {
    if (this.state !== 'open' && this.state !== 'draining') return;
    if (level === 'warn') {
      // The client's fault: rate-limited, so that a flood of bad frames cannot flood the log.
      const t = this.settings.clientFaultLog.take();
      if (t.ok) this.log(level, message, t.suppressed > 0 ? { ...fields, suppressedSimilar: t.suppressed } : fields);
    } else {
      this.log(level, message, fields);
    }
    this.state = 'failing';
    this.dropInput();
    this.slots.push({ apiKey: -1, apiVersion: -1, correlationId: -1, started: 0, done: true, frame: null, close: message });
    this.again = true;
  }

  private dropInput(): void {
    this.head = [];
    this.headBytes = 0;
    this.backlog = [];
    this.backlogStart = 0;
  }

  // ------------------------------------------------------------------------------------------
  // Framing
  // ------------------------------------------------------------------------------------------

  private splitInto(chunk: Buffer): void {
    this.splitter ??= new FrameSplitter({ maxFrameSize: this.settings.maxRequestBytes });
    try {
      for (const frame of this.splitter.push(chunk)) this.backlog.push(frame);
    } catch (e) {
      if (e instanceof FrameSizeError) {
        this.fail('warn', 'request size over the limit, closing the connection', {
          declaredSize: e.declaredSize,
          maxRequestBytes: e.maxFrameSize,
        });
      } else {
        throw e;
      }
    }
  }

  /** Before the first valid request: cuts the next frame out of `head` (one at a time). */
  private cutFirstFrame(): Buffer | undefined {
    if (this.headBytes < 4) return undefined;
    const size = this.peekHead(4).readInt32BE(0);
    const limit = Math.min(this.settings.maxFirstRequestBytes, this.settings.maxRequestBytes);
    if (size < 0 || size > limit) {
      this.fail('warn', 'first request size over the limit, closing the connection', {
        declaredSize: size,
        maxFirstRequestBytes: limit,
      });
      return undefined;
    }
    if (this.headBytes < 4 + size) return undefined;
    return this.takeHead(4 + size).subarray(4);
  }

  private peekHead(n: number): Buffer {
    const first = this.head[0]!;
    if (first.length >= n) return first;
    const out = Buffer.alloc(n);
    let filled = 0;
    for (const c of this.head) {
      filled += c.copy(out, filled, 0, Math.min(c.length, n - filled));
      if (filled === n) break;
    }
    return out;
  }

  private takeHead(n: number): Buffer {
    this.headBytes -= n;
    const first = this.head[0]!;
    if (first.length >= n) {
      if (first.length === n) this.head.shift();
      else this.head[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.head[0]!;
      const k = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, k);
      filled += k;
      if (k === c.length) this.head.shift();
      else this.head[0] = c.subarray(k);
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // Requests
  // ------------------------------------------------------------------------------------------

  private dispatch(frame: Buffer): void {
    this.frameBytes = frame.length;
    let request: DecodedRequest;
    try {
      request = decodeRequest(frame);
    } catch (e) {
      this.rejectUndecodable(frame, e);
      return;
    }
    const header = request.header;
    const { registry } = this.settings;
    if (!registry.serves(header.apiKey, header.apiVersion)) {
      if (header.apiKey === ApiKey.ApiVersions) {
        this.answerUnsupportedApiVersions(header.correlationId, header.apiVersion, header.clientId);
        return;
      }
      this.emit(header, 'rejected');
      const handler = registry.handlerFor(header.apiKey);
      this.fail(
        'warn',
        handler === undefined
          ? `${apiName(header.apiKey)} is not served, closing the connection`
          : `${apiName(header.apiKey)} v${header.apiVersion} is not served (served: ${handler.minVersion}-${handler.maxVersion}), closing the connection`,
        this.requestFields(header),
      );
      return;
    }
    const handler = registry.handlerFor(header.apiKey)!;
    const refusal = this.sasl?.refusal(header.apiKey);
    if (refusal !== undefined) {
      this.emit(header, 'rejected');
      this.fail('info', `${refusal}, closing the connection`, { ...this.requestFields(header), principal: this.sasl!.principal });
      return;
    }
    if (this.trusted) this.established = true;
    const slot: Slot = {
      apiKey: header.apiKey,
      apiVersion: header.apiVersion,
      correlationId: header.correlationId,
      started: performance.now(),
      done: false,
      frame: null,
      close: undefined,
    };
    this.slots.push(slot);
    this.emit(header, 'dispatched');
    const ctx = new RequestScope(this, this.logger, header, this.abort.signal);
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(handler.handle(ctx, request.body, header));
    } catch (e) {
      result = Promise.reject(e);
    }
    result.then(
      (r) => this.complete(slot, request, ctx, r),
      (e: unknown) => this.completeWithError(slot, ctx, e),
    );
  }

  private complete(slot: Slot, request: DecodedRequest, ctx: RequestScope, result: unknown): void {
    if (this.state === 'closed' || this.state === 'ending') return;
    const header = request.header;
    this.reportDone(slot, request, ctx);
    if (result === NO_RESPONSE) {
      slot.frame = null;
    } else if (result === CLOSE_CONNECTION) {
      slot.close = `the ${apiName(header.apiKey)} handler closed the connection`;
      ctx.logger.info(scopeFields(header), 'handler asked to close the connection');
    } else if (request.apiKey === ApiKey.Produce && request.body.acks === 0) {
      // Kafka never answers acks=0; a response would break the client's correlation.
      ctx.logger.warn(scopeFields(header), 'Produce handler returned a response for acks=0; not sent');
      slot.frame = null;
    } else {
      try {
        slot.frame = encodeResponse(slot.apiKey, slot.apiVersion, slot.correlationId, result);
      } catch (e) {
        slot.close = 'response could not be encoded';
        ctx.logger.error({ ...scopeFields(header), error: e }, 'response could not be encoded, closing the connection');
      }
    }
    slot.done = true;
    if (slot.close !== undefined) this.stopTakingRequests();
    if (this.sasl?.closeAfterAnswer !== undefined) {
      // A refused login: the answer goes out, then the connection closes.
      this.fail('info', `${this.sasl.closeAfterAnswer}, closing the connection`, {});
    } else if (!this.established && this.trusted) {
      this.established = true;
    }
    this.kick();
  }

  private completeWithError(slot: Slot, ctx: RequestScope, e: unknown): void {
    if (this.state === 'closed' || this.state === 'ending') return;
    slot.done = true;
    slot.close = `the ${apiName(ctx.header.apiKey)} handler failed`;
    ctx.logger.error({ ...scopeFields(ctx.header), durationMs: elapsedMs(slot), error: e }, 'handler failed, closing the connection');
    this.stopTakingRequests();
    this.kick();
  }

  /**
   * One line per answered request, at debug: the hot path writes nothing at info. A request slower
   * than its allowance is logged at warn, with its request id.
   */
  private reportDone(slot: Slot, request: DecodedRequest, ctx: RequestScope): void {
    const durationMs = elapsedMs(slot);
    try {
      if (durationMs > slowAfterMs(request, this.settings.slowRequestMs)) {
        ctx.logger.warn({ ...scopeFields(request.header), durationMs }, 'slow request');
      } else {
        this.logger.debug({ requestId: ctx.requestId, api: apiName(request.apiKey), apiVersion: request.header.apiVersion, durationMs }, 'request handled');
      }
    } catch {
      // a broken logger must not break the connection
    }
  }

  /** After a handler-level close: no new dispatch; the close happens when its slot is reached. */
  private stopTakingRequests(): void {
    if (this.state === 'open' || this.state === 'draining') {
      this.state = 'failing';
      this.dropInput();
    }
  }

  private rejectUndecodable(frame: Buffer, e: unknown): void {
    const known = e instanceof ProtocolError && e.request !== undefined ? e.request : undefined;
    const ident = known ?? identity(frame);
    const clientId = known?.clientId ?? null;
    if (e instanceof UnsupportedVersionError && ident.apiKey === ApiKey.ApiVersions) {
      this.answerUnsupportedApiVersions(ident.correlationId, ident.apiVersion, clientId);
      return;
    }
    this.emit({ ...ident, clientId }, 'rejected');
    const fields = {
      requestId: requestIdOf(this.id, ident.correlationId),
      apiKey: ident.apiKey,
      api: apiName(ident.apiKey),
      apiVersion: ident.apiVersion,
      correlationId: ident.correlationId,
      clientId,
      error: e instanceof Error ? e.message : String(e),
    };
    if (e instanceof UnsupportedVersionError) {
      this.fail('warn', 'unsupported api key or version, closing the connection', fields);
    } else if (e instanceof ProtocolError) {
      this.fail('warn', 'malformed request, closing the connection', fields);
    } else {
      this.fail('error', 'request decoding failed unexpectedly, closing the connection', { ...fields, error: e });
    }
  }

  /** KIP-511: ApiVersions of a version not served gets a v0 answer listing the versions. */
  private answerUnsupportedApiVersions(correlationId: number, apiVersion: number, clientId: string | null): void {
    this.emit({ apiKey: ApiKey.ApiVersions, apiVersion, correlationId, clientId }, 'unsupported-version');
    this.log('debug', 'ApiVersions version not served, answering with v0 and UNSUPPORTED_VERSION', {
      apiVersion,
      correlationId,
      clientId,
    });
    const body = unsupportedApiVersionsAnswer(this.settings.registry);
    this.slots.push({
      apiKey: ApiKey.ApiVersions,
      apiVersion: 0,
      correlationId,
      started: performance.now(),
      done: true,
      frame: encodeResponse(ApiKey.ApiVersions, 0, correlationId, body),
      close: undefined,
    });
  }

  // ------------------------------------------------------------------------------------------
  // Reporting
  // ------------------------------------------------------------------------------------------

  private emit(
    r: { apiKey: number; apiVersion: number; correlationId: number; clientId: string | null },
    outcome: RequestEvent['outcome'],
  ): void {
    const hook = this.settings.onRequest;
    if (hook === undefined) return;
    try {
      hook({
        connectionId: this.id,
        clientAddress: this.clientAddress,
        apiKey: r.apiKey,
        apiVersion: r.apiVersion,
        correlationId: r.correlationId,
        clientId: r.clientId,
        bytes: this.frameBytes,
        outcome,
      });
    } catch (e) {
      this.log('error', 'onRequest hook failed', { error: e });
    }
  }

  private requestFields(h: RequestHeader): LogFields {
    return {
      requestId: requestIdOf(this.id, h.correlationId),
      apiKey: h.apiKey,
      api: apiName(h.apiKey),
      apiVersion: h.apiVersion,
      correlationId: h.correlationId,
      clientId: h.clientId,
    };
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields: LogFields): void {
    try {
      this.logger[level](fields, message);
    } catch {
      // a broken logger must not break the connection
    }
  }
}
