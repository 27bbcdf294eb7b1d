// The admin API behind the ACLs: what the gRPC and HTTP doors serve when the authorizer is on.
// Each operation needs what its Kafka counterpart needs on the Kafka port, so a principal can do
// no more through a door than through Kafka's own admin client:
//   cluster                 Describe on the cluster (DescribeCluster)
//   listTopics              the topics it may Describe (Metadata)
//   describeTopic           Describe on the topic
//   createTopic             Create on the cluster or on the topic (CreateTopics)
//   alterTopicConfigs       AlterConfigs on the topic (IncrementalAlterConfigs)
//   addPartitions           Alter on the topic (CreatePartitions)
//   deleteTopic             Delete on the topic (DeleteTopics)
//   listGroups              every group with Describe on the cluster, else the groups it may Describe
//   describeGroup           Describe on the group (DescribeGroups); offsets of topics it may Describe
//   groupOffsets            Describe on the group; offsets of topics it may Describe (OffsetFetch)
//   deleteGroup             Delete on the group (DeleteGroups)
//   resetGroupOffsets       Read on the group and on the topic (OffsetCommit)
//   readRecords             Read on the topic (Fetch)
// A refusal is AdminError `forbidden` (HTTP 403, gRPC PERMISSION_DENIED), whether or not the
// resource exists, as Kafka answers *_AUTHORIZATION_FAILED before looking.
import { AdminError, type AdminApi, type Caller, type DoorAuthorizer, type DoorResourceType } from '@floe/admin-api';
import { CLUSTER_NAME as CLUSTER } from '@floe/authz';

export function aclAdminApi(api: AdminApi, authorize: DoorAuthorizer, caller: Caller): AdminApi {
  const may = (operation: string, type: DoorResourceType, name: string) => authorize(caller, operation, type, name);
  const need = (operation: string, type: DoorResourceType, name: string): void => {
    if (!may(operation, type, name)) throw new AdminError('forbidden', `${caller.principal} is not authorized to ${operation} ${type.toLowerCase()} "${name}"`);
  };
  return {
    async cluster() {
      need('Describe', 'Cluster', CLUSTER);
      return api.cluster();
    },
    async listTopics() {
      return (await api.listTopics()).filter((t) => may('Describe', 'Topic', t.name));
    },
    async describeTopic(name) {
      need('Describe', 'Topic', name);
      return api.describeTopic(name);
    },
    async createTopic(name, partitions, configs) {
      if (!may('Create', 'Cluster', CLUSTER)) need('Create', 'Topic', name);
      return api.createTopic(name, partitions, configs);
    },
    async alterTopicConfigs(name, changes) {
      need('AlterConfigs', 'Topic', name);
      return api.alterTopicConfigs(name, changes);
    },
    async addPartitions(name, count) {
      need('Alter', 'Topic', name);
      return api.addPartitions(name, count);
    },
    async deleteTopic(name) {
      need('Delete', 'Topic', name);
      return api.deleteTopic(name);
    },
    async listGroups() {
      const groups = await api.listGroups();
      return may('Describe', 'Cluster', CLUSTER) ? groups : groups.filter((g) => may('Describe', 'Group', g.groupId));
    },
    async describeGroup(groupId) {
      need('Describe', 'Group', groupId);
      const group = await api.describeGroup(groupId);
      return group && { ...group, offsets: group.offsets.filter((o) => may('Describe', 'Topic', o.topic)) };
    },
    async groupOffsets(groupId) {
      need('Describe', 'Group', groupId);
      const offsets = await api.groupOffsets(groupId);
      return offsets && { ...offsets, offsets: offsets.offsets.filter((o) => may('Describe', 'Topic', o.topic)) };
    },
    async deleteGroup(groupId) {
      need('Delete', 'Group', groupId);
      return api.deleteGroup(groupId);
    },
    async resetGroupOffsets(groupId, reset) {
      need('Read', 'Group', groupId);
      need('Read', 'Topic', reset.topic);
      return api.resetGroupOffsets(groupId, reset);
    },
    async readRecords(topic, partition, offset, limit) {
      need('Read', 'Topic', topic);
      return api.readRecords(topic, partition, offset, limit);
    },
  };
}
