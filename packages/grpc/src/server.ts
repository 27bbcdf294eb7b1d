// The gRPC door: floe.v1.Records (produce and fetch), floe.v1.Admin (when given an admin API),
// grpc.health.v1.Health and server reflection on one grpc-js server. See docs/grpc.md.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Server,
  ServerCredentials,
  status,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import type { AdminApi, AdminFor, DoorAuthenticator, DoorAuthorizer, DoorResourceType } from '@floe/admin-api';
import { authenticationInterceptor } from './authentication.ts';
import { tlsCredentials, type GrpcTlsOptions } from './tls.ts';
import { callerOf } from './caller.ts';
import type { FloeLog } from '@floe/log';
import { ADMIN_SERVICE, adminHandlers, adminServiceDefinition } from './admin-service.ts';
import { floe, grpc as grpcProtos } from './protos.ts';
import { RecordsService, type TopicSource } from './records-service.ts';
import { GrpcStatusError, invalidArgument, toServiceError } from './status.ts';
import { method, unary } from './methods.ts';
import { silentGrpcLogger, type GrpcLogger } from './logger.ts';
import { requestIdInterceptor } from './request-ids.ts';
import { countingDefinition, observingInterceptor, type GrpcCallObserver } from './call-observer.ts';
import { openConsumeSession, type ConsumeSession, type GroupMembership } from './group-consumer.ts';

/** Largest request message the server accepts (grpc.max_receive_message_length). */
export const DEFAULT_MAX_RECEIVE_MESSAGE_BYTES = 8 * 1024 * 1024;
/** Produce requests of one ProduceStream appended but not yet acknowledged before the stream pauses. */
export const STREAM_MAX_IN_FLIGHT = 64;
export const RECORDS_SERVICE = 'floe.v1.Records';
const HEALTH_SERVICE = 'grpc.health.v1.Health';

export interface GrpcServerOptions {
  log: FloeLog;
  /** Where topics are looked up; usually `log.topics`. */
  topics: TopicSource;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Where calls are logged, each with its request id (see request-ids.ts). Default: nowhere. */
  logger?: GrpcLogger;
  /** A unary call answered later than this is logged at warn. Default 2 s. */
  slowCallMs?: number;
  /** Default max.message.bytes for topics that set none (Kafka's message.max.bytes). Default 1048588. */
  maxMessageBytes?: number;
  /** grpc.max_receive_message_length. Default 8 MiB. */
  maxReceiveMessageBytes?: number;
  /** The group coordinator Records.Consume joins groups through; without it Consume is UNIMPLEMENTED. */
  groups?: GroupMembership;
  /** Producer ids for InitProducer (the Kafka door's allocator); without it InitProducer is UNIMPLEMENTED. */
  producerIds?: { allocate(): Promise<number> };
  /** Told of every finished call and of message bytes (metrics). */
  observer?: GrpcCallObserver;
  /** The node's admin API (or the API as each caller may use it), served as floe.v1.Admin; absent: not served. */
  admin?: AdminApi | AdminFor;
  /**
   * ACL checks of the Records service (the authorizer on): Write on the topic to produce, Read to
   * fetch and tail, Read on the group and its topics to consume, IdempotentWrite on the cluster
   * for InitProducer. Refusals are PERMISSION_DENIED. Absent: every call is allowed.
   */
  authorize?: DoorAuthorizer;
  /**
   * Who calls (Records, Admin, reflection; not health): the caller's credentials checked before
   * the handler runs, refusals answered UNAUTHENTICATED. Absent: every caller is User:ANONYMOUS.
   */
  authenticate?: DoorAuthenticator;
  /** Serve TLS with this certificate (replaced by `setSecureContext`); absent: plaintext. */
  tls?: GrpcTlsOptions;
}

export interface RunningGrpcServer {
  port: number;
  /** A new certificate (and CA) for new connections; open ones keep theirs. Only with `tls`. */
  setSecureContext(context: GrpcTlsOptions['context']): void;
  /** Stops accepting, lets calls in flight finish (up to 5 s), then cancels the rest (tails). */
  close(): Promise<void>;
}

const v1 = floe.v1;
const health = grpcProtos.health.v1;

/** The service definitions, for servers and for clients (makeGenericClientConstructor). */
export const recordsServiceDefinition = {
  initProducer: method(RECORDS_SERVICE, 'InitProducer', v1.InitProducerRequest, v1.InitProducerResponse, false, false),
  produce: method(RECORDS_SERVICE, 'Produce', v1.ProduceRequest, v1.ProduceResponse, false, false),
  produceStream: method(RECORDS_SERVICE, 'ProduceStream', v1.ProduceRequest, v1.ProduceResponse, true, true),
  fetch: method(RECORDS_SERVICE, 'Fetch', v1.FetchRequest, v1.FetchResponse, false, false),
  tail: method(RECORDS_SERVICE, 'Tail', v1.TailRequest, v1.TailResponse, false, true),
  consume: method(RECORDS_SERVICE, 'Consume', v1.ConsumeRequest, v1.ConsumeResponse, true, true),
} satisfies ServiceDefinition;

export const healthServiceDefinition = {
  check: method(HEALTH_SERVICE, 'Check', health.HealthCheckRequest, health.HealthCheckResponse, false, false),
  watch: method(HEALTH_SERVICE, 'Watch', health.HealthCheckRequest, health.HealthCheckResponse, false, true),
} satisfies ServiceDefinition;

/** The .proto files (shipped in the repository's proto/), for server reflection. */
export const PROTO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../proto');

/** Starts the gRPC server; resolves once it listens. */
export async function startGrpcServer(opts: GrpcServerOptions): Promise<RunningGrpcServer> {
  const logger = opts.logger ?? silentGrpcLogger;
  const records = new RecordsService({ log: opts.log, topics: opts.topics, ...(opts.maxMessageBytes !== undefined ? { maxMessageBytes: opts.maxMessageBytes } : {}) });
  const onCall = opts.observer?.onCall;
  const onBytes = opts.observer?.onBytes;
  const server = new Server({
    'grpc.max_receive_message_length': opts.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
    interceptors: [
      requestIdInterceptor({ logger, ...(opts.slowCallMs !== undefined ? { slowCallMs: opts.slowCallMs } : {}) }),
      ...(onCall ? [observingInterceptor(onCall)] : []),
      // Last: its refusals pass through the request-id and observing interceptors.
      ...(opts.authenticate ? [authenticationInterceptor(opts.authenticate)] : []),
    ],
  });
  const counted = <D extends ServiceDefinition>(def: D): D => (onBytes ? countingDefinition(def, onBytes) : def);
  const closing = new AbortController();
  let serving = true;

  const allow = accessCheck(opts.authorize);
  server.addService(counted(recordsServiceDefinition), {
    initProducer: unary(async (_req: floe.v1.InitProducerRequest, call): Promise<floe.v1.IInitProducerResponse> => {
      allow(call, 'IdempotentWrite', 'Cluster', CLUSTER_NAME);
      if (!opts.producerIds) throw new GrpcStatusError(status.UNIMPLEMENTED, 'this server allocates no producer ids');
      return { producerId: await opts.producerIds.allocate(), producerEpoch: 0 };
    }),
    produce: unary(async (req: floe.v1.ProduceRequest, call) => {
      allow(call, 'Write', 'Topic', req.topic);
      return records.produce(req);
    }),
    fetch: unary(async (req: floe.v1.FetchRequest, call) => {
      allow(call, 'Read', 'Topic', req.topic);
      return records.fetch(req);
    }),
    produceStream: (call: ServerDuplexStream<floe.v1.ProduceRequest, floe.v1.IProduceResponse>) =>
      produceStream(records, call, (req) => allow(call, 'Write', 'Topic', req.topic)),
    tail: (call: ServerWritableStream<floe.v1.TailRequest, floe.v1.ITailResponse>) => {
      try {
        allow(call, 'Read', 'Topic', call.request.topic);
      } catch (err) {
        call.emit('error', toServiceError(err));
        return;
      }
      const ac = new AbortController();
      const abort = () => ac.abort();
      call.on('cancelled', abort);
      call.on('close', abort);
      closing.signal.addEventListener('abort', abort, { once: true });
      const send = flowControlled(call);
      records.tail(call.request, (m) => send(m, ac.signal), ac.signal).then(
        () => {
          closing.signal.removeEventListener('abort', abort);
          if (!call.cancelled) call.end();
        },
        (err: unknown) => {
          closing.signal.removeEventListener('abort', abort);
          if (!call.cancelled) call.emit('error', toServiceError(err));
        },
      );
    },
    consume: (call: ServerDuplexStream<floe.v1.ConsumeRequest, floe.v1.IConsumeResponse>) => {
      if (!opts.groups) {
        call.emit('error', { code: status.UNIMPLEMENTED, details: 'this server has no group coordinator' });
        return;
      }
      const authorizeSubscribe = (sub: floe.v1.IConsumeSubscribe) => {
        allow(call, 'Read', 'Group', sub.groupId ?? '');
        for (const topic of sub.topics ?? []) allow(call, 'Read', 'Topic', topic);
      };
      consumeStream({ log: opts.log, records, groups: opts.groups, clientHost: call.getPeer() }, closing.signal, call, authorizeSubscribe);
    },
  });

  if (opts.admin) server.addService(counted(adminServiceDefinition), adminHandlers(opts.admin));
  const services = new Set(['', RECORDS_SERVICE, ...(opts.admin ? [ADMIN_SERVICE] : [])]);

  const healthStatus = (service: string): number | undefined => {
    if (!services.has(service)) return undefined;
    return serving ? health.HealthCheckResponse.ServingStatus.SERVING : health.HealthCheckResponse.ServingStatus.NOT_SERVING;
  };
  server.addService(counted(healthServiceDefinition), {
    check: (call: ServerUnaryCall<grpcProtos.health.v1.HealthCheckRequest, grpcProtos.health.v1.IHealthCheckResponse>, cb: sendUnaryData<grpcProtos.health.v1.IHealthCheckResponse>) => {
      const s = healthStatus(call.request.service);
      if (s === undefined) cb({ code: status.NOT_FOUND, details: `unknown service "${call.request.service}"` });
      else cb(null, { status: s });
    },
    // Sends the status now and when the server starts closing; ends when the client cancels.
    watch: (call: ServerWritableStream<grpcProtos.health.v1.HealthCheckRequest, grpcProtos.health.v1.IHealthCheckResponse>) => {
      const send = () => call.write({ status: healthStatus(call.request.service) ?? health.HealthCheckResponse.ServingStatus.SERVICE_UNKNOWN });
      send();
      const onClose = () => {
        send();
        call.end();
      };
      closing.signal.addEventListener('abort', onClose, { once: true });
      call.on('cancelled', () => closing.signal.removeEventListener('abort', onClose));
    },
  });

  const protos = ['floe/v1/records.proto', ...(opts.admin ? ['floe/v1/admin.proto'] : []), 'grpc/health/v1/health.proto'];
  const reflectionPackage = loadSync(protos, { includeDirs: [PROTO_ROOT] });
  new ReflectionService(reflectionPackage).addToServer(server);

  const tls = opts.tls && tlsCredentials(opts.tls);
  const port = await new Promise<number>((resolve, reject) => {
    const host = opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]` : opts.host;
    server.bindAsync(`${host}:${opts.port}`, tls?.credentials ?? ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  logger.info({ host: opts.host, port, tls: tls ? opts.tls!.clientAuth : 'off' }, 'gRPC server listening');

  return {
    port,
    setSecureContext: (context) => {
      if (!tls) throw new Error('this gRPC server serves no TLS');
      tls.set(context);
    },
    close: () =>
      new Promise<void>((resolve) => {
        serving = false;
        closing.abort();
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 5_000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

/**
 * ProduceStream: each request takes its turn (topic lookup and checks, then the append) after
 * the previous request's append, so requests land in stream order; acks are written in the same
 * order as their commits complete. The first refused or failed request ends the stream with its
 * status; requests after it are not appended (those already handed to the log may still land).
 * More than STREAM_MAX_IN_FLIGHT unacknowledged requests pause reading from the client.
 */
function produceStream(
  records: RecordsService,
  call: ServerDuplexStream<floe.v1.ProduceRequest, floe.v1.IProduceResponse>,
  authorize: (req: floe.v1.ProduceRequest) => void,
): void {
  let turn: Promise<unknown> = Promise.resolve();
  let acks: Promise<unknown> = Promise.resolve();
  let inFlight = 0;
  /** The stream has ended with an error (or was cancelled): nothing more is written to it. */
  let failed = false;
  /** No further request of the stream may be appended. */
  let stopped = false;
  let paused = false;
  const fail = (err: unknown) => {
    if (failed) return;
    failed = true;
    stopped = true;
    if (!call.cancelled) call.emit('error', toServiceError(err));
  };
  call.on('data', (req: floe.v1.ProduceRequest) => {
    if (failed) return;
    inFlight++;
    if (inFlight >= STREAM_MAX_IN_FLIGHT && !paused) {
      paused = true;
      call.pause();
    }
    // The turn ends once the batches are handed to the log (wrapped, so that the commit is not
    // awaited by the next request's turn); the ack waits for the commit.
    const appended = turn.then(async () => {
      if (stopped) return undefined;
      let prepared;
      try {
        authorize(req);
        prepared = await records.prepareProduce(req);
      } catch (err) {
        stopped = true; // no later request of this stream is appended
        throw err;
      }
      if (stopped) return undefined;
      const ack = records.appendPrepared(prepared);
      ack.catch(() => undefined); // handled by the ack chain, possibly later
      return { ack };
    });
    // Keep the turn chain alive after a failure; the ack chain reports it.
    turn = appended.catch(() => undefined);
    acks = acks.then(async () => {
      if (failed) return;
      try {
        const res = await (await appended)?.ack;
        if (res && !failed && !call.cancelled) call.write(res);
      } catch (err) {
        fail(err);
      } finally {
        inFlight--;
        if (paused && inFlight < STREAM_MAX_IN_FLIGHT / 2) {
          paused = false;
          call.resume();
        }
      }
    });
  });
  call.on('end', () => {
    void acks.then(() => {
      if (!failed && !call.cancelled) call.end();
    });
  });
  call.on('cancelled', () => {
    failed = true;
    stopped = true;
  });
}

/**
 * A writer for a server stream: writes at once (so messages keep call order) and resolves when
 * the stream may take the next message or `signal` aborts.
 */
function flowControlled<T>(call: { write(m: T): boolean; on(e: 'drain', f: () => void): unknown; off(e: 'drain', f: () => void): unknown }) {
  return (m: T, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      if (call.write(m) || signal.aborted) {
        resolve();
        return;
      }
      const go = () => {
        call.off('drain', go);
        signal.removeEventListener('abort', go);
        resolve();
      };
      call.on('drain', go);
      signal.addEventListener('abort', go, { once: true });
    });
}

/**
 * Records.Consume: the first request subscribes (opens the group session), later ones commit,
 * one at a time in arrival order (reading pauses meanwhile). The stream ends when the client
 * half-closes (after its last commit is answered), cancels, or the server closes; the member
 * leaves the group then. A refused request ends it with its status.
 */
function consumeStream(
  deps: Parameters<typeof openConsumeSession>[0],
  closing: AbortSignal,
  call: ServerDuplexStream<floe.v1.ConsumeRequest, floe.v1.IConsumeResponse>,
  authorizeSubscribe: (sub: floe.v1.IConsumeSubscribe) => void,
): void {
  const ac = new AbortController();
  const abort = () => ac.abort();
  call.on('cancelled', abort);
  closing.addEventListener('abort', abort, { once: true });
  const send = flowControlled<floe.v1.IConsumeResponse>(call);
  let session: ConsumeSession | undefined;
  let turn: Promise<void> = Promise.resolve();
  let ended = false;
  const finish = (err?: unknown) => {
    if (ended) return;
    ended = true;
    ac.abort();
    closing.removeEventListener('abort', abort);
    if (call.cancelled) return;
    if (err === undefined) call.end();
    else {
      call.emit('error', toServiceError(err));
    }
  };
  call.on('data', (req: floe.v1.ConsumeRequest & { $unknowns?: Uint8Array[] }) => {
    call.pause();
    turn = turn
      .then(async () => {
        if (ended) return;
        if (req.$unknowns && req.$unknowns.length > 0) throw invalidArgument('ConsumeRequest has unknown fields');
        if (!session) {
          if (req.kind !== 'subscribe') throw invalidArgument('the first ConsumeRequest must be a subscribe');
          authorizeSubscribe(req.subscribe!);
          session = await openConsumeSession(deps, req.subscribe!, send);
          session.run(ac.signal).then(() => finish(), finish);
        } else {
          if (req.kind !== 'commit') throw invalidArgument('after the subscribe, a ConsumeRequest must be a commit');
          await session.commit(req.commit!);
        }
      })
      .then(
        () => {
          if (!ended) call.resume();
        },
        (err: unknown) => finish(err),
      );
  });
  // Half-closed: answer the commits already sent, then leave.
  call.on('end', () => void turn.then(() => (session ? ac.abort() : finish())));
}

/** The name of the one Cluster resource in ACLs, as on the Kafka door. */
const CLUSTER_NAME = 'kafka-cluster';

/** A check that throws PERMISSION_DENIED when the ACLs refuse the call's caller (a no-op without an authorizer). */
function accessCheck(authorize: DoorAuthorizer | undefined) {
  return (call: Parameters<typeof callerOf>[0], operation: string, type: DoorResourceType, name: string | null | undefined): void => {
    if (!authorize) return;
    const resource = name ?? '';
    if (!authorize(callerOf(call), operation, type, resource)) {
      throw new GrpcStatusError(status.PERMISSION_DENIED, `not authorized: ${operation} on ${type.toLowerCase()} "${resource}"`);
    }
  };
}
