// floe.v1.Admin over the node's admin API (@floe/admin-api, handed in by the composition root):
// requests become AdminApi calls, answers become messages, and the admin errors' kinds become
// status codes (status.ts). The checks themselves are the admin API's, shared with the HTTP door;
// this door adds only what protobuf cannot say (unknown fields, a reset without a target, bytes
// that do not decode).
import type { ServerUnaryCall, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { AdminApi, AdminFor, OffsetResetTarget, OffsetLagView } from '@floe/admin-api';
import { callerOf } from './caller.ts';
import { floe } from './protos.ts';
import { method, unary } from './methods.ts';
import { unknownFields } from './records-service.ts';
import { invalidArgument, notFound } from './status.ts';

export const ADMIN_SERVICE = 'floe.v1.Admin';

const v1 = floe.v1;

/** A request whose bytes did not decode: answered INVALID_ARGUMENT (grpc-js would say INTERNAL). */
interface Undecodable {
  $undecodable: string;
}

type Msg<T> = { encode(m: T): { finish(): Uint8Array }; decode(b: Uint8Array): T };

function adminMethod<Req, Res>(name: string, req: Msg<Req>, res: Msg<Res>) {
  const m = method(ADMIN_SERVICE, name, req, res, false, false);
  return {
    ...m,
    requestDeserialize: (b: Buffer): Req | Undecodable => {
      try {
        return req.decode(b);
      } catch (err) {
        return { $undecodable: (err as Error).message };
      }
    },
  };
}

export const adminServiceDefinition = {
  getCluster: adminMethod('GetCluster', v1.GetClusterRequest, v1.GetClusterResponse),
  listTopics: adminMethod('ListTopics', v1.ListTopicsRequest, v1.ListTopicsResponse),
  createTopic: adminMethod('CreateTopic', v1.CreateTopicRequest, v1.TopicSummary),
  describeTopic: adminMethod('DescribeTopic', v1.DescribeTopicRequest, v1.TopicDescription),
  alterTopicConfigs: adminMethod('AlterTopicConfigs', v1.AlterTopicConfigsRequest, v1.TopicDescription),
  addPartitions: adminMethod('AddPartitions', v1.AddPartitionsRequest, v1.TopicSummary),
  deleteTopic: adminMethod('DeleteTopic', v1.DeleteTopicRequest, v1.DeleteTopicResponse),
  listGroups: adminMethod('ListGroups', v1.ListGroupsRequest, v1.ListGroupsResponse),
  describeGroup: adminMethod('DescribeGroup', v1.DescribeGroupRequest, v1.GroupDescription),
  getGroupOffsets: adminMethod('GetGroupOffsets', v1.GetGroupOffsetsRequest, v1.GroupOffsets),
  deleteGroup: adminMethod('DeleteGroup', v1.DeleteGroupRequest, v1.DeleteGroupResponse),
  resetGroupOffsets: adminMethod('ResetGroupOffsets', v1.ResetGroupOffsetsRequest, v1.ResetGroupOffsetsResponse),
} satisfies ServiceDefinition;

type Decoded = { $unknowns?: Uint8Array[] } | Undecodable;

/** The request as decoded, refused when it did not decode or carries unknown fields. */
function checked<T extends object>(req: T | Undecodable, what: string): T {
  if ('$undecodable' in req) throw invalidArgument(`${what} does not decode: ${req.$undecodable}`);
  unknownFields(req as Decoded as { $unknowns?: Uint8Array[] }, what);
  return req;
}

function offsetsMessage(offsets: OffsetLagView[]): floe.v1.ICommittedOffset[] {
  return offsets.map((o) => ({
    topic: o.topic,
    partition: o.partition,
    committedOffset: o.committedOffset,
    highWatermark: o.highWatermark,
    lag: o.lag,
  }));
}

function resetTarget(req: floe.v1.ResetGroupOffsetsRequest): OffsetResetTarget {
  switch (req.to) {
    case 'position':
      if (req.position === v1.ResetPosition.RESET_POSITION_EARLIEST) return { kind: 'earliest' };
      if (req.position === v1.ResetPosition.RESET_POSITION_LATEST) return { kind: 'latest' };
      throw invalidArgument(`position must be RESET_POSITION_EARLIEST or RESET_POSITION_LATEST, not ${req.position}`);
    case 'offset':
      return { kind: 'offset', offset: req.offset! };
    case 'timestampMs':
      return { kind: 'timestamp', timestampMs: req.timestampMs! };
    default:
      throw invalidArgument('ResetGroupOffsetsRequest needs a target: position, offset or timestamp_ms');
  }
}

/** The handlers of floe.v1.Admin over `admin`. */
export function adminHandlers(adminFor: AdminApi | AdminFor): UntypedServiceImplementation {
  // The API as this call's caller may use it (ACL-checked), or one API for everyone.
  const forCaller: AdminFor = typeof adminFor === 'function' ? adminFor : () => adminFor;
  const call = <Req extends object, Res>(name: string, fn: (req: Req, admin: AdminApi) => Promise<Res>) =>
    unary(async (req: Req | Undecodable, c: ServerUnaryCall<Req | Undecodable, Res>) => fn(checked(req, `${name}Request`), forCaller(callerOf(c))));
  return {
    getCluster: call('GetCluster', async (_req, admin) => admin.cluster()),
    listTopics: call('ListTopics', async (_req, admin) => ({ topics: await admin.listTopics() })),
    createTopic: call('CreateTopic', (req: floe.v1.CreateTopicRequest, admin) => admin.createTopic(req.name, req.partitions ?? undefined, req.configs ?? {})),
    describeTopic: call('DescribeTopic', async (req: floe.v1.DescribeTopicRequest, admin) => {
      const topic = await admin.describeTopic(req.name);
      if (!topic) throw notFound(`no topic "${req.name}"`);
      return topic;
    }),
    alterTopicConfigs: call('AlterTopicConfigs', (req: floe.v1.AlterTopicConfigsRequest, admin) => admin.alterTopicConfigs(req.name, { set: req.set ?? {}, delete: req.delete ?? [] })),
    addPartitions: call('AddPartitions', (req: floe.v1.AddPartitionsRequest, admin) => admin.addPartitions(req.name, req.count)),
    deleteTopic: call('DeleteTopic', async (req: floe.v1.DeleteTopicRequest, admin) => {
      await admin.deleteTopic(req.name);
      return {};
    }),
    listGroups: call('ListGroups', async (_req, admin) => ({ groups: await admin.listGroups() })),
    describeGroup: call('DescribeGroup', async (req: floe.v1.DescribeGroupRequest, admin) => {
      const g = await admin.describeGroup(req.groupId);
      if (!g) throw notFound(`no group "${req.groupId}"`);
      return { ...g, offsets: offsetsMessage(g.offsets) };
    }),
    getGroupOffsets: call('GetGroupOffsets', async (req: floe.v1.GetGroupOffsetsRequest, admin) => {
      const o = await admin.groupOffsets(req.groupId);
      if (!o) throw notFound(`no group "${req.groupId}"`);
      return { ...o, offsets: offsetsMessage(o.offsets) };
    }),
    deleteGroup: call('DeleteGroup', async (req: floe.v1.DeleteGroupRequest, admin) => {
      await admin.deleteGroup(req.groupId);
      return {};
    }),
    resetGroupOffsets: call('ResetGroupOffsets', (req: floe.v1.ResetGroupOffsetsRequest, admin) => {
      const to = resetTarget(req);
      const partitions = req.partitions ?? [];
      return admin.resetGroupOffsets(req.groupId, { topic: req.topic, ...(partitions.length > 0 ? { partitions } : {}), to, execute: req.execute === true });
    }),
  };
}
