// The container path of the test environment, for machines with a Docker engine
// (FLOE_TESTCONTAINERS=1). MinIO serves S3 and LocalStack serves DynamoDB (its DynamoDB is
// DynamoDB Local) and a second, independent S3, the roles moto plays in the local-process path.
// Kafka clients still come from `scripts/test-env install`.
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';

export const MINIO_IMAGE = 'minio/minio:RELEASE.2025-09-07T16-13-09Z';
export const LOCALSTACK_IMAGE = 'localstack/localstack:4.9';

export interface ContainerEnv {
  vars: Record<string, string>;
  stop(): Promise<void>;
}

export async function startContainerEnv(): Promise<ContainerEnv> {
  const user = 'minioadmin';
  const password = 'minioadmin';
  const started: StartedTestContainer[] = [];
  try {
    started.push(
      await new GenericContainer(MINIO_IMAGE)
        .withEnvironment({ MINIO_ROOT_USER: user, MINIO_ROOT_PASSWORD: password })
        .withCommand(['server', '/data'])
        .withExposedPorts(9000)
        .withWaitStrategy(Wait.forHttp('/minio/health/live', 9000))
        .start(),
    );
    started.push(
      await new GenericContainer(LOCALSTACK_IMAGE)
        .withEnvironment({ SERVICES: 's3,dynamodb' })
        .withExposedPorts(4566)
        .withWaitStrategy(Wait.forLogMessage('Ready.'))
        .start(),
    );
  } catch (err) {
    await Promise.all(started.map((c) => c.stop()));
    throw err;
  }
  const [minio, localstack] = started as [StartedTestContainer, StartedTestContainer];
  const url = (c: StartedTestContainer, port: number) => `http://${c.getHost()}:${c.getMappedPort(port)}`;
  return {
    vars: {
      AWS_ACCESS_KEY_ID: user,
      AWS_SECRET_ACCESS_KEY: password,
      AWS_REGION: 'us-east-1',
      FLOE_S3_ENDPOINT: url(minio, 9000),
      FLOE_DYNAMODB_ENDPOINT: url(localstack, 4566),
      FLOE_TEST_S3_ENDPOINT: url(minio, 9000),
      FLOE_TEST_DYNAMODB_ENDPOINT: url(localstack, 4566),
      FLOE_TEST_MOTO_ENDPOINT: url(localstack, 4566),
    },
    stop: async () => {
      await Promise.all(started.map((c) => c.stop()));
    },
  };
}
