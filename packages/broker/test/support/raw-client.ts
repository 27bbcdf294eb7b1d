// A raw Kafka-protocol TCP client for tests: writes frames exactly as told and collects the
// response frames, so tests can pipeline, send garbage and watch the connection close.

import { connect, type Socket } from 'node:net';
import {
  decodeResponse,
  encodeRequest,
  FrameSplitter,
  type DecodedResponse,
  type RequestTypes,
  type ResponseTypes,
} from '@floe/protocol';

export interface SentRequest {
  apiKey: number;
  apiVersion: number;
}

export class RawClient {
  readonly socket: Socket;
  /** Response payloads (size prefix removed), in arrival order. */
  readonly frames: Buffer[] = [];
  readonly closed: Promise<void>;
  isClosed = false;
  private readonly sent = new Map<number, SentRequest>();
  private readonly splitter = new FrameSplitter({ maxFrameSize: 0x7fffffff });
  private nextCorrelationId = 1;
  private waiters: (() => void)[] = [];
  private reading = true;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.splitter.push(chunk)) this.frames.push(f);
      this.wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise<void>((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host, noDelay: true });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }

  /** Builds a request frame (size prefix included) and remembers how to decode its answer. */
  frame<K extends keyof RequestTypes>(
    apiKey: K,
    apiVersion: number,
    body: RequestTypes[K],
    opts: { correlationId?: number; clientId?: string | null } = {},
  ): Buffer {
    const correlationId = opts.correlationId ?? this.nextCorrelationId++;
    this.sent.set(correlationId, { apiKey, apiVersion });
    return encodeRequest({ apiKey, apiVersion, correlationId, clientId: opts.clientId ?? 'raw-client' }, body);
  }

  /** Remembers how to decode the answer of a request built by hand. */
  expect(correlationId: number, apiKey: number, apiVersion: number): void {
    this.sent.set(correlationId, { apiKey, apiVersion });
  }

  write(data: Buffer | Buffer[]): boolean {
    return this.socket.write(Array.isArray(data) ? Buffer.concat(data) : data);
  }

  /** Sends one request and returns its correlation id. */
  send<K extends keyof RequestTypes>(apiKey: K, apiVersion: number, body: RequestTypes[K]): number {
    const correlationId = this.nextCorrelationId;
    this.write(this.frame(apiKey, apiVersion, body));
    return correlationId;
  }

  /** Stops reading from the socket (so the listener's writes back up) until resumeReading(). */
  pauseReading(): void {
    this.reading = false;
    this.socket.pause();
  }

  resumeReading(): void {
    this.reading = true;
    this.socket.resume();
  }

  get isReading(): boolean {
    return this.reading;
  }

  /** Waits until `n` response frames have arrived; rejects on close or timeout. */
  async waitFrames(n: number, timeoutMs = 5_000): Promise<Buffer[]> {
    await this.until(() => this.frames.length >= n, timeoutMs, `${n} responses (got ${this.frames.length})`, true);
    return this.frames.slice(0, n);
  }

  /** Waits for the socket to close; rejects on timeout. */
  async waitClosed(timeoutMs = 5_000): Promise<void> {
    await this.until(() => this.isClosed, timeoutMs, 'the connection to close', false);
  }

  /** Decodes a response frame by its correlation id, with the api key and version sent. */
  decode<K extends keyof ResponseTypes>(frame: Buffer, apiKey: K): DecodedResponse<ResponseTypes[K]> & { correlationId: number };
  decode(frame: Buffer): DecodedResponse & { correlationId: number };
  decode(frame: Buffer): DecodedResponse & { correlationId: number } {
    const correlationId = frame.readInt32BE(0);
    const req = this.sent.get(correlationId);
    if (req === undefined) throw new Error(`response with unknown correlation id ${correlationId}`);
    return { ...decodeResponse(req.apiKey, req.apiVersion, frame), correlationId };
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private until(done: () => boolean, timeoutMs: number, what: string, failOnClose: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      const check = () => {
        if (done()) {
          clearTimeout(timer);
          resolve();
        } else if (failOnClose && this.isClosed) {
          clearTimeout(timer);
          reject(new Error(`connection closed while waiting for ${what}`));
        } else {
          this.waiters.push(check);
        }
      };
      check();
    });
  }
}

/** Polls `cond` every 10 ms until it holds; rejects after `timeoutMs`. */
export async function eventually(cond: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
