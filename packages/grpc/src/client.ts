// A typed grpc-js client of floe.v1.Records and of the health service, for the `floe` command and
// for tests: the same generated definitions the server uses.
import {
  credentials,
  makeGenericClientConstructor,
  type Client,
  type ClientDuplexStream,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { floe, grpc } from './protos.ts';
import { healthServiceDefinition, recordsServiceDefinition } from './server.ts';

export type RecordsClient = Client & {
  initProducer(req: floe.v1.IInitProducerRequest, cb: (err: ServiceError | null, res?: floe.v1.InitProducerResponse) => void): void;
  produce(req: floe.v1.IProduceRequest, cb: (err: ServiceError | null, res?: floe.v1.ProduceResponse) => void): void;
  produceStream(): ClientDuplexStream<floe.v1.IProduceRequest, floe.v1.ProduceResponse>;
  fetch(req: floe.v1.IFetchRequest, cb: (err: ServiceError | null, res?: floe.v1.FetchResponse) => void): void;
  tail(req: floe.v1.ITailRequest): ClientReadableStream<floe.v1.TailResponse>;
  consume(): ClientDuplexStream<floe.v1.IConsumeRequest, floe.v1.ConsumeResponse>;
};
export type HealthClient = Client & {
  check(req: grpc.health.v1.IHealthCheckRequest, cb: (err: ServiceError | null, res?: grpc.health.v1.HealthCheckResponse) => void): void;
};

const RecordsCtor = makeGenericClientConstructor(recordsServiceDefinition, 'Records');
const HealthCtor = makeGenericClientConstructor(healthServiceDefinition, 'Health');

export function recordsClient(address: string): RecordsClient {
  return new RecordsCtor(address, credentials.createInsecure(), { 'grpc.max_receive_message_length': 16 * 1024 * 1024 }) as unknown as RecordsClient;
}

export function healthClient(address: string): HealthClient {
  return new HealthCtor(address, credentials.createInsecure()) as unknown as HealthClient;
}

/** Calls a unary method as a promise. */
export function callUnary<Req, Res>(
  fn: (req: Req, cb: (err: ServiceError | null, res?: Res) => void) => void,
  client: Client,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => fn.call(client, req, (err, res) => (err ? reject(err) : resolve(res!))));
}
