// Typed grpc-js clients of floe.v1.Records, floe.v1.Admin and the health service, for the `floe`
// command and for tests: the same generated definitions the server uses.
import {
  credentials,
  Metadata,
  type ChannelCredentials,
  makeGenericClientConstructor,
  InterceptingCall,
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

/** How a client reaches a door that serves TLS or wants credentials; absent: plaintext, anonymous. */
export interface ClientSecurity {
  /** TLS: the CA bundle (PEM) the server's certificate must chain to (absent: the system's), and a client certificate and key (PEM) for mTLS. */
  tls?: { ca?: Buffer | undefined; cert?: Buffer | undefined; key?: Buffer | undefined };
  /** Sent as `authorization` on every call: Basic for a user and password, Bearer for a token. */
  username?: string | undefined;
  password?: string | undefined;
  token?: string | undefined;
}

/** The `authorization` value for a user and password (Basic) or a token (Bearer); undefined for neither. */
export function authorizationHeader(s: Pick<ClientSecurity, 'username' | 'password' | 'token'>): string | undefined {
  if (s.token !== undefined) return `Bearer ${s.token}`;
  if (s.username !== undefined) return `Basic ${Buffer.from(`${s.username}:${s.password ?? ''}`, 'utf8').toString('base64')}`;
  return undefined;
}

/**
 * The channel credentials for `security`: TLS with the CA and client certificate given, and the
 * authorization metadata on every call. Call credentials need a secure channel in grpc-js, so a
 * plaintext channel with credentials (a door behind a TLS-terminating proxy, a test) adds the
 * header through an interceptor instead.
 */
function channel(security: ClientSecurity | undefined): { creds: ChannelCredentials; options: Record<string, unknown> } {
  const header = security && authorizationHeader(security);
  if (security?.tls) {
    const { ca, cert, key } = security.tls;
    let creds = credentials.createSsl(ca ?? null, key ?? null, cert ?? null);
    if (header) {
      creds = credentials.combineChannelCredentials(
        creds,
        credentials.createFromMetadataGenerator((_params, cb) => {
          const md = new Metadata();
          md.set('authorization', header);
          cb(null, md);
        }),
      );
    }
    return { creds, options: {} };
  }
  const interceptors = header
    ? [
        (options: unknown, nextCall: (o: unknown) => InterceptingCall) =>
          new InterceptingCall(nextCall(options), {
            start: (metadata, listener, next) => {
              metadata.set('authorization', header);
              next(metadata, listener);
            },
          }),
      ]
    : [];
  return { creds: credentials.createInsecure(), options: header ? { interceptors } : {} };
}

export function recordsClient(address: string, security?: ClientSecurity): RecordsClient {
  const { creds, options } = channel(security);
  return new RecordsCtor(address, creds, { 'grpc.max_receive_message_length': 16 * 1024 * 1024, ...options }) as unknown as RecordsClient;
}

export function adminClient(address: string, security?: ClientSecurity): AdminClient {
  const { creds, options } = channel(security);
  return new AdminCtor(address, creds, options) as unknown as AdminClient;
}

export function healthClient(address: string, security?: ClientSecurity): HealthClient {
  const { creds, options } = channel(security);
  return new HealthCtor(address, creds, options) as unknown as HealthClient;
}

/** Calls a unary method as a promise. */
export function callUnary<Req, Res>(
  fn: (req: Req, cb: (err: ServiceError | null, res?: Res) => void) => void,
  client: Client,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => fn.call(client, req, (err, res) => (err ? reject(err) : resolve(res!))));
}
