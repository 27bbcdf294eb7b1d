// The contract between the listener and the API handlers.
//
// A handler serves one Kafka API over the versions it declares (a subset of what the codec
// decodes). The listener decodes the request, calls `handle` only for a declared version, and
// encodes what the handler returns as the response of the request's version. Handlers never
// touch sockets, framing or response ordering, and the ApiVersions answer is built from their
// declarations (see registry.ts).

import type { RequestHeader, RequestTypes, ResponseTypes } from '@floe/protocol';
import type { Logger } from './logger.ts';
import type { SaslSession } from './sasl-session.ts';

/** An api key the codec knows. */
export type ApiKeyNumber = keyof RequestTypes;

/** What a handler learns about the request besides its body and header. */
export interface RequestContext {
  /** Unique per listener, increasing. */
  readonly connectionId: number;
  /** The client id of the request header (null when the client sent none). */
  readonly clientId: string | null;
  /** "address:port" of the client. */
  readonly clientAddress: string;
  /**
   * Who the connection is, in Kafka's form `Type:name`: `User:ANONYMOUS` until it authenticates.
   * ACL checks are made for this principal.
   */
  readonly principal: string;
  /** The name of the Kafka listener the connection came in on (undefined: the node's only one). */
  readonly listenerName?: string | undefined;
  /** The connection's SASL state, on SASL listeners only (for SaslHandshake and SaslAuthenticate). */
  readonly sasl?: SaslSession | undefined;
  /** Aborted when the connection closes: stop work whose answer can no longer be delivered. */
  readonly signal: AbortSignal;
  /** `<connection id>-<correlation id>`: names this request in every log line about it. */
  readonly requestId: string;
  /** Logs with the request id, the API and its version (and the connection's fields). */
  readonly logger: Logger;
}

/**
 * Returned instead of a response body: the request is complete and nothing is written back
 * (Produce with acks=0). Later answers on the connection are not held up by it.
 */
export const NO_RESPONSE: unique symbol = Symbol('floe.noResponse');
export type NoResponse = typeof NO_RESPONSE;

/**
 * Returned instead of a response body: close the connection once every earlier answer has been
 * written. This is how Kafka reports an error it cannot answer (Produce with acks=0 that failed),
 * and how a handler refuses a request it cannot serve yet.
 */
export const CLOSE_CONNECTION: unique symbol = Symbol('floe.closeConnection');
export type CloseConnection = typeof CLOSE_CONNECTION;

export type HandlerResult<Body> = Body | NoResponse | CloseConnection;

export interface ApiHandler<K extends ApiKeyNumber = ApiKeyNumber> {
  readonly apiKey: K;
  /** Lowest and highest version this handler really serves (inclusive). */
  readonly minVersion: number;
  readonly maxVersion: number;
  /**
   * Serves one request. `header.apiVersion` is within [minVersion, maxVersion]; the returned body
   * is encoded at that version. A throw (or rejection) is an internal error: the listener logs it
   * and closes the connection after the earlier answers.
   *
   * Requests of one connection are handled concurrently, but handle() is called synchronously
   * and in request order. Kafka processes a connection's requests one after the other, and
   * clients rely on it (pipelined Produce requests to one partition must append in order), so a
   * handler whose effects must follow request order takes its place (enqueues its work) before
   * its first await.
   */
  handle(ctx: RequestContext, request: RequestTypes[K], header: RequestHeader): Promise<HandlerResult<ResponseTypes[K]>>;
}

/** Type helper: infers K from `apiKey` so `request` and the result get their precise types. */
export function defineHandler<K extends ApiKeyNumber>(handler: ApiHandler<K>): ApiHandler<K> {
  return handler;
}
