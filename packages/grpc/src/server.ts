// The gRPC door: floe.v1.Records (produce and fetch), grpc.health.v1.Health and server
// reflection on one grpc-js server. See docs/grpc.md.
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
import type { FloeLog } from '@floe/log';
import { floe, grpc as grpcProtos } from './protos.ts';
import { RecordsService, type TopicSource } from './records-service.ts';
import { toServiceError } from './status.ts';
import { silentGrpcLogger, type GrpcLogger } from './logger.ts';
import { requestIdInterceptor } from './request-ids.ts';

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
}

export interface RunningGrpcServer {
  port: number;
  /** Stops accepting, lets calls in flight finish (up to 5 s), then cancels the rest (tails). */
  close(): Promise<void>;
}

type Msg<T> = { encode(m: T): { finish(): Uint8Array }; decode(b: Uint8Array): T };

function method<Req, Res>(
  service: string,
  name: string,
  req: Msg<Req>,
  res: Msg<Res>,
  requestStream: boolean,
  responseStream: boolean,
) {
  return {
    path: `/${service}/${name}`,
    requestStream,
    responseStream,
    requestSerialize: (m: Req) => Buffer.from(req.encode(m).finish()),
    requestDeserialize: (b: Buffer) => req.decode(b),
    responseSerialize: (m: Res) => Buffer.from(res.encode(m).finish()),
    responseDeserialize: (b: Buffer) => res.decode(b),
  };
}

const v1 = floe.v1;
const health = grpcProtos.health.v1;

/** The service definitions, for servers and for clients (makeGenericClientConstructor). */
export const recordsServiceDefinition = {
  produce: method(RECORDS_SERVICE, 'Produce', v1.ProduceRequest, v1.ProduceResponse, false, false),
  produceStream: method(RECORDS_SERVICE, 'ProduceStream', v1.ProduceRequest, v1.ProduceResponse, true, true),
  fetch: method(RECORDS_SERVICE, 'Fetch', v1.FetchRequest, v1.FetchResponse, false, false),
  tail: method(RECORDS_SERVICE, 'Tail', v1.TailRequest, v1.TailResponse, false, true),
} satisfies ServiceDefinition;

export const healthServiceDefinition = {
  check: method(HEALTH_SERVICE, 'Check', health.HealthCheckRequest, health.HealthCheckResponse, false, false),
  watch: method(HEALTH_SERVICE, 'Watch', health.HealthCheckRequest, health.HealthCheckResponse, false, true),
} satisfies ServiceDefinition;

/** The .proto files (shipped in the repository's proto/), for server reflection. */
export const PROTO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../proto');

// Failed calls are logged by the request-id interceptor, with their status and request id.
function unary<Req, Res>(fn: (req: Req) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    fn(call.request).then(
      (res) => callback(null, res),
      (err: unknown) => callback(toServiceError(err)),
    );
  };
}

/** Starts the gRPC server; resolves once it listens. */
export async function startGrpcServer(opts: GrpcServerOptions): Promise<RunningGrpcServer> {
  const logger = opts.logger ?? silentGrpcLogger;
  const records = new RecordsService({ log: opts.log, topics: opts.topics, ...(opts.maxMessageBytes !== undefined ? { maxMessageBytes: opts.maxMessageBytes } : {}) });
  const server = new Server({
    'grpc.max_receive_message_length': opts.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
    interceptors: [requestIdInterceptor({ logger, ...(opts.slowCallMs !== undefined ? { slowCallMs: opts.slowCallMs } : {}) })],
  });
  const closing = new AbortController();
  let serving = true;

  server.addService(recordsServiceDefinition, {
    produce: unary((req: floe.v1.ProduceRequest) => records.produce(req)),
    fetch: unary((req: floe.v1.FetchRequest) => records.fetch(req)),
    produceStream: (call: ServerDuplexStream<floe.v1.ProduceRequest, floe.v1.IProduceResponse>) => produceStream(records, call),
    tail: (call: ServerWritableStream<floe.v1.TailRequest, floe.v1.ITailResponse>) => {
      const ac = new AbortController();
      const abort = () => ac.abort();
      call.on('cancelled', abort);
      call.on('close', abort);
      closing.signal.addEventListener('abort', abort, { once: true });
      const send = (m: floe.v1.ITailResponse) =>
        new Promise<void>((resolve) => {
          if (call.write(m)) resolve();
          else {
            const go = () => {
              call.off('drain', go);
              ac.signal.removeEventListener('abort', go);
              resolve();
            };
            call.on('drain', go);
            ac.signal.addEventListener('abort', go, { once: true });
          }
        });
      records.tail(call.request, send, ac.signal).then(
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
  });

  const healthStatus = (service: string): number | undefined => {
    if (service !== '' && service !== RECORDS_SERVICE) return undefined;
    return serving ? health.HealthCheckResponse.ServingStatus.SERVING : health.HealthCheckResponse.ServingStatus.NOT_SERVING;
  };
  server.addService(healthServiceDefinition, {
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

  const reflectionPackage = loadSync(['floe/v1/records.proto', 'grpc/health/v1/health.proto'], { includeDirs: [PROTO_ROOT] });
  new ReflectionService(reflectionPackage).addToServer(server);

  const port = await new Promise<number>((resolve, reject) => {
    const host = opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]` : opts.host;
    server.bindAsync(`${host}:${opts.port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  logger.info({ host: opts.host, port }, 'gRPC server listening');

  return {
    port,
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
function produceStream(records: RecordsService, call: ServerDuplexStream<floe.v1.ProduceRequest, floe.v1.IProduceResponse>): void {
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
