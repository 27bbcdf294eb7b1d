// Request ids for gRPC calls, as a server interceptor so that every method (Records, health,
// reflection) gets one without its handler knowing: the id comes from the client's `x-request-id`
// metadata when it is acceptable, else is made here; it is written into the call's metadata (where
// handlers may read it), sent back in the response metadata, and logged with the
// call's outcome.
import { randomUUID } from 'node:crypto';
import { Metadata, ResponderBuilder, ServerInterceptingCall, ServerListenerBuilder, status, type ServerInterceptor } from '@grpc/grpc-js';
import type { GrpcLogger } from './logger.ts';

export const REQUEST_ID_KEY = 'x-request-id';
export const DEFAULT_SLOW_CALL_MS = 2_000;

/** Ids of other systems pass through (UUIDs, trace ids); anything longer or odder is replaced. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._~:/+=@-]{1,128}$/;

/** The client's id if acceptable, else a new one. */
export function requestIdFrom(incoming: unknown): string {
  return typeof incoming === 'string' && ACCEPTABLE_ID.test(incoming) ? incoming : randomUUID();
}

/** Statuses that say the client asked for something wrong: its problem, logged at warn. */
const CLIENT_STATUSES: ReadonlySet<number> = new Set([
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.ALREADY_EXISTS,
  status.OUT_OF_RANGE,
  status.FAILED_PRECONDITION,
  status.RESOURCE_EXHAUSTED,
  status.PERMISSION_DENIED,
  status.UNAUTHENTICATED,
  status.UNIMPLEMENTED,
]);
/** Storage or time trouble that a retry may cure: warn. Anything else not OK is an error. */
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.ABORTED]);

export interface RequestIdOptions {
  logger: GrpcLogger;
  /** A unary call answered later than this is logged at warn. Default 2 s. */
  slowCallMs?: number;
}

/**
 * The interceptor. A successful call is logged at debug only (produce and fetch are the hot
 * path); a slow unary call at warn; a failed one at warn (bad input, storage unavailable) or
 * error (internal); a cancelled one (a tail the client closed) at debug.
 */
export function requestIdInterceptor(opts: RequestIdOptions): ServerInterceptor {
  const slowMs = opts.slowCallMs ?? DEFAULT_SLOW_CALL_MS;
  return (method, call) => {
    const started = performance.now();
    const unary = !method.requestStream && !method.responseStream;
    let requestId = '';
    let log: GrpcLogger = opts.logger;
    let headersSent = false;
    return new ServerInterceptingCall(
      call,
      new ResponderBuilder()
        .withStart((next) =>
          next(
            new ServerListenerBuilder()
              .withOnReceiveMetadata((metadata, nextMetadata) => {
                requestId = requestIdFrom(metadata.get(REQUEST_ID_KEY)[0]);
                metadata.set(REQUEST_ID_KEY, requestId);
                log = opts.logger.child({ requestId, method: method.path, peer: call.getPeer() });
                nextMetadata(metadata);
              })
              .build(),
          ),
        )
        .withSendMetadata((metadata, next) => {
          headersSent = true;
          metadata.set(REQUEST_ID_KEY, requestId);
          next(metadata);
        })
        .withSendStatus((s, next) => {
          // A call answered with a status only (an error before any message) has no headers of
          // its own: the id goes in the trailers.
          if (!headersSent) {
            const trailers = s.metadata ?? new Metadata();
            trailers.set(REQUEST_ID_KEY, requestId);
            s = { ...s, metadata: trailers };
          }
          const durationMs = Math.round(performance.now() - started);
          const fields = { code: status[s.code] ?? s.code, durationMs, ...(s.code === status.OK ? {} : { details: s.details }) };
          try {
            if (s.code === status.OK || s.code === status.CANCELLED) {
              if (unary && durationMs > slowMs) log.warn(fields, 'slow gRPC call');
              else log.debug(fields, 'gRPC call ended');
            } else if (CLIENT_STATUSES.has(s.code) || TRANSIENT_STATUSES.has(s.code)) {
              log.warn(fields, 'gRPC call failed');
            } else {
              log.error(fields, 'gRPC call failed');
            }
          } catch {
            // a broken logger must not break the call
          }
          next(s);
        })
        .build(),
    );
  };
}

