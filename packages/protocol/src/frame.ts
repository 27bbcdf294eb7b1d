// Frames: a 4-byte big-endian size, then a request or response (header + body).
//
// Every "frame" passed to decodeRequest / decodeResponse is the payload WITHOUT the size prefix,
// exactly what FrameSplitter yields. encodeRequest / encodeResponse return whole frames WITH
// the size prefix, ready for the socket.

import {
  CorruptMessageError,
  FrameSizeError,
  ProtocolError,
  UnsupportedVersionError,
  type RequestIdentity,
} from './errors.ts';
import { apiByKey, ApiKey, type ApiDescriptor, type RequestTypes, type ResponseTypes } from './generated/apis.ts';
import {
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequestHeader,
  encodeResponseHeader,
  requestHeaderVersion,
  responseHeaderVersion,
  type RequestHeader,
  type ResponseHeader,
} from './headers.ts';
import { Reader } from './wire/reader.ts';
import type { TaggedField } from './wire/types.ts';
import { Writer } from './wire/writer.ts';

/** A decoded request; narrow on `apiKey` to get the body type. */
export type DecodedRequest = {
  [K in keyof RequestTypes]: {
    apiKey: K;
    header: RequestHeader;
    body: RequestTypes[K];
    /** Bytes after the body, ignored as Kafka ignores them (0 for every well-formed request). */
    trailingBytes: number;
  };
}[keyof RequestTypes];

export interface DecodedResponse<Body = unknown> {
  header: ResponseHeader;
  body: Body;
}

function attach(e: unknown, request: RequestIdentity): unknown {
  if (e instanceof ProtocolError && e.request === undefined) e.request = request;
  return e;
}

function knownVersion(api: ApiDescriptor, version: number): boolean {
  return version >= api.minVersion && version <= api.maxVersion;
}

/**
 * Decodes one request frame (without its size prefix).
 *
 * Throws a ProtocolError subclass on any problem. An unknown api key or a version outside the
 * valid range throws UnsupportedVersionError (code 35) whose `request` holds apiKey, apiVersion
 * and correlationId; for an ApiVersions request of a version newer than Floe knows, the header
 * is still parsed (as header v2) and `request.clientId` is set, so the broker can answer with an
 * ApiVersions v0 response listing its versions (KIP-511). Errors raised after the header was
 * read carry `request` too. Bytes left after the body are rejected (InvalidRequestError).
 */
export function decodeRequest(frame: Buffer): DecodedRequest {
  if (frame.length < 8) throw new CorruptMessageError(`request of ${frame.length} bytes is shorter than a header`);
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const correlationId = frame.readInt32BE(4);
  const ident: RequestIdentity = { apiKey, apiVersion, correlationId };
  const api = apiByKey(apiKey);
  if (api === undefined) throw new UnsupportedVersionError(`unknown api key ${apiKey}`, ident);
  const inRange = knownVersion(api, apiVersion);
  if (!inRange && apiKey !== ApiKey.ApiVersions) {
    throw new UnsupportedVersionError(
      `${api.name} version ${apiVersion} is not supported (valid: ${api.minVersion}-${api.maxVersion})`,
      ident,
    );
  }
  const r = new Reader(frame);
  let header: RequestHeader;
  try {
    header = decodeRequestHeader(r, requestHeaderVersion(apiKey, apiVersion));
  } catch (e) {
    if (!inRange) {
      throw new UnsupportedVersionError(`ApiVersions version ${apiVersion} is not supported`, ident);
    }
    throw attach(e, ident);
  }
  const full: RequestIdentity = { ...ident, clientId: header.clientId };
  if (!inRange) {
    throw new UnsupportedVersionError(
      `ApiVersions version ${apiVersion} is not supported (valid: ${api.minVersion}-${api.maxVersion})`,
      full,
    );
  }
  try {
    const body = api.decodeRequest(r, apiVersion);
    // Kafka's broker never checks for bytes after a request body, and real clients send some:
    // confluent-kafka 2.16 (librdkafka 2.16.0) adds 3 bytes to the Metadata v12 request behind
    // AdminClient.list_topics(). Refusing them would break that client, so they are ignored.
    return { apiKey, header, body, trailingBytes: r.remaining() } as DecodedRequest;
  } catch (e) {
    throw attach(e, full);
  }
}

export interface RequestHeaderInput {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId?: string | null;
  taggedFields?: TaggedField[];
}

function requireApi(apiKey: number, apiVersion: number, correlationId: number): ApiDescriptor {
  const api = apiByKey(apiKey);
  const ident = { apiKey, apiVersion, correlationId };
  if (api === undefined) throw new UnsupportedVersionError(`unknown api key ${apiKey}`, ident);
  if (!knownVersion(api, apiVersion)) {
    throw new UnsupportedVersionError(`${api.name} version ${apiVersion} is not supported`, ident);
  }
  return api;
}

/** Encodes a request frame (client side), size prefix included. */
export function encodeRequest<K extends keyof RequestTypes>(
  header: RequestHeaderInput & { apiKey: K },
  body: RequestTypes[K],
): Buffer;
export function encodeRequest(header: RequestHeaderInput, body: unknown): Buffer;
export function encodeRequest(header: RequestHeaderInput, body: unknown): Buffer {
  const api = requireApi(header.apiKey, header.apiVersion, header.correlationId);
  const w = new Writer(1024);
  const mark = w.reserveSize();
  encodeRequestHeader(
    w,
    {
      apiKey: header.apiKey,
      apiVersion: header.apiVersion,
      correlationId: header.correlationId,
      clientId: header.clientId ?? null,
      taggedFields: header.taggedFields ?? [],
    },
    requestHeaderVersion(header.apiKey, header.apiVersion),
  );
  api.encodeRequest(w, header.apiVersion, body);
  w.patchSize(mark);
  return w.finish();
}

/**
 * Encodes a response frame (broker side), size prefix included. The header version follows
 * the API version (ApiVersions always uses header v0).
 */
export function encodeResponse<K extends keyof ResponseTypes>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseTypes[K],
  headerTaggedFields?: TaggedField[],
): Buffer;
export function encodeResponse(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  body: unknown,
  headerTaggedFields?: TaggedField[],
): Buffer;
export function encodeResponse(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  body: unknown,
  headerTaggedFields?: TaggedField[],
): Buffer {
  const api = requireApi(apiKey, apiVersion, correlationId);
  const w = new Writer(1024);
  const mark = w.reserveSize();
  encodeResponseHeader(w, { correlationId, taggedFields: headerTaggedFields ?? [] }, responseHeaderVersion(apiKey, apiVersion));
  api.encodeResponse(w, apiVersion, body);
  w.patchSize(mark);
  return w.finish();
}

/**
 * Decodes a response frame (client side, without its size prefix). The caller supplies the
 * api key and version of the request it sent with that correlation id.
 */
export function decodeResponse<K extends keyof ResponseTypes>(
  apiKey: K,
  apiVersion: number,
  frame: Buffer,
): DecodedResponse<ResponseTypes[K]>;
export function decodeResponse(apiKey: number, apiVersion: number, frame: Buffer): DecodedResponse;
export function decodeResponse(apiKey: number, apiVersion: number, frame: Buffer): DecodedResponse {
  const api = requireApi(apiKey, apiVersion, -1);
  const r = new Reader(frame);
  const header = decodeResponseHeader(r, responseHeaderVersion(apiKey, apiVersion));
  const body = api.decodeResponse(r, apiVersion);
  r.expectEnd(`${api.name} response v${apiVersion}`);
  return { header, body };
}

// ---------------------------------------------------------------------------------------------
// Frame splitting
// ---------------------------------------------------------------------------------------------

export interface FrameSplitterOptions {
  /** Largest accepted frame payload in bytes. Default 100 MiB (Kafka's socket.request.max.bytes). */
  maxFrameSize?: number;
}

export const DEFAULT_MAX_FRAME_SIZE = 100 * 1024 * 1024;

/**
 * Turns arbitrary TCP chunks into complete frames. push() returns the payloads (size prefix
 * removed) of every frame completed by the chunk. A frame lying inside one chunk is returned as
 * a zero-copy subarray of it; a frame spread over chunks is copied once into a buffer of the
 * declared size, allocated only when all its bytes have arrived.
 *
 * A declared size that is negative or above maxFrameSize throws FrameSizeError at once, before
 * any allocation; the splitter then stays failed (the connection should be closed).
 */
export class FrameSplitter {
  readonly maxFrameSize: number;
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  /** Payload size of the frame being assembled, or -1 while its size prefix is incomplete. */
  private need = -1;
  private failure: FrameSizeError | undefined;

  constructor(options: FrameSplitterOptions = {}) {
    const max = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    if (!Number.isInteger(max) || max < 0 || max > 0x7fffffff) throw new RangeError(`bad maxFrameSize ${max}`);
    this.maxFrameSize = max;
  }

  /** Bytes received but not yet returned as part of a frame (a consumed size prefix included). */
  get buffered(): number {
    return this.bufferedBytes + (this.need >= 0 ? 4 : 0);
  }

  push(chunk: Buffer): Buffer[] {
    if (this.failure) throw this.failure;
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.bufferedBytes += chunk.length;
    }
    const out: Buffer[] = [];
    for (;;) {
      if (this.need < 0) {
        if (this.bufferedBytes < 4) break;
        const size = this.take(4).readInt32BE(0);
        if (size < 0 || size > this.maxFrameSize) {
          this.failure = new FrameSizeError(size, this.maxFrameSize);
          this.chunks = [];
          this.bufferedBytes = 0;
          throw this.failure;
        }
        this.need = size;
      }
      if (this.bufferedBytes < this.need) break;
      out.push(this.take(this.need));
      this.need = -1;
    }
    return out;
  }

  /** Removes and returns the next n buffered bytes (n <= bufferedBytes). */
  private take(n: number): Buffer {
    this.bufferedBytes -= n;
    const first = this.chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (first !== undefined && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, k);
      filled += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }
}
