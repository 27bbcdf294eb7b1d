// Typed grpc-js clients of floe.v1.Records, floe.v1.Admin and the health service, for the `floe`
// command and for tests: the same generated definitions the server uses.
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
import { adminServiceDefinition } from './admin-service.ts';

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

type Unary<Req, Res> = (req: Req, cb: (err: ServiceError | null, res?: Res) => void) => void;
export type AdminClient = Client & {
  getCluster: Unary<floe.v1.IGetClusterRequest, floe.v1.GetClusterResponse>;
  listTopics: Unary<floe.v1.IListTopicsRequest, floe.v1.ListTopicsResponse>;
  createTopic: Unary<floe.v1.ICreateTopicRequest, floe.v1.TopicSummary>;
  describeTopic: Unary<floe.v1.IDescribeTopicRequest, floe.v1.TopicDescription>;
  alterTopicConfigs: Unary<floe.v1.IAlterTopicConfigsRequest, floe.v1.TopicDescription>;
  addPartitions: Unary<floe.v1.IAddPartitionsRequest, floe.v1.TopicSummary>;
  deleteTopic: Unary<floe.v1.IDeleteTopicRequest, floe.v1.DeleteTopicResponse>;
  listGroups: Unary<floe.v1.IListGroupsRequest, floe.v1.ListGroupsResponse>;
  describeGroup: Unary<floe.v1.IDescribeGroupRequest, floe.v1.GroupDescription>;
  getGroupOffsets: Unary<floe.v1.IGetGroupOffsetsRequest, floe.v1.GroupOffsets>;
  deleteGroup: Unary<floe.v1.IDeleteGroupRequest, floe.v1.DeleteGroupResponse>;
  resetGroupOffsets: Unary<floe.v1.IResetGroupOffsetsRequest, floe.v1.ResetGroupOffsetsResponse>;
};

const RecordsCtor = makeGenericClientConstructor(recordsServiceDefinition, 'Records');
const AdminCtor = makeGenericClientConstructor(adminServiceDefinition, 'Admin');
const HealthCtor = makeGenericClientConstructor(healthServiceDefinition, 'Health');

export function recordsClient(address: string): RecordsClient {
  return new RecordsCtor(address, credentials.createInsecure(), { 'grpc.max_receive_message_length': 16 * 1024 * 1024 }) as unknown as RecordsClient;
}

export function adminClient(address: string): AdminClient {
  return new AdminCtor(address, credentials.createInsecure()) as unknown as AdminClient;
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
