// One Floe log node in its own process, for multi-node and kill tests on real storage. Run with
// `node --conditions=floe-source log-node.ts`; configured by environment variables, driven by
// JSON lines on stdin, answering JSON lines on stdout:
//   {"op":"append","id":1,"topicId":"…","partition":0,"body":"<base64>","offsetCount":1,"producer":{…}}
//     → {"id":1,"outcome":{…}} or {"id":1,"error":"kind"}
//   {"op":"offsets","id":2,"topicId":"…","partition":0} → {"id":2,"offsets":{…}}
// With FLOE_TEST_HOLD_MS it prints {"uploaded":"<key>"} after each segment upload and waits that
// long before committing, so a test can kill or pause it between PUT and commit.
import { createInterface } from 'node:readline';
import { DynamoDbCoordinationStore } from '@floe/coordination';
import { FloeLog } from '@floe/log';
import { S3ObjectStore } from '@floe/object-store';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const credentials = { accessKeyId: env('AWS_ACCESS_KEY_ID'), secretAccessKey: env('AWS_SECRET_ACCESS_KEY') };
const holdMs = Number(process.env.FLOE_TEST_HOLD_MS ?? 0);
const out = (v: unknown) => process.stdout.write(JSON.stringify(v) + '\n');

const objects = await S3ObjectStore.open({
  bucket: env('FLOE_TEST_BUCKET'),
  endpoint: env('FLOE_TEST_S3_ENDPOINT'),
  region: env('AWS_REGION'),
  credentials,
  forcePathStyle: true,
  createBucket: true,
});
const coordination = await DynamoDbCoordinationStore.open({
  table: env('FLOE_TEST_TABLE'),
  endpoint: env('FLOE_TEST_DYNAMODB_ENDPOINT'),
  region: env('AWS_REGION'),
  credentials,
  createTable: true,
});
const log = await FloeLog.open({
  objects,
  coordination,
  node: env('FLOE_NODE_ID'),
  shardCount: Number(process.env.FLOE_TEST_SHARDS ?? 4),
  lingerMs: Number(process.env.FLOE_TEST_LINGER_MS ?? 20),
  pollIntervalMs: 50,
  afterUpload: holdMs
    ? async (key) => {
        out({ uploaded: key });
        await new Promise((r) => setTimeout(r, holdMs));
      }
    : undefined,
});
out({ ready: true });

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const cmd = JSON.parse(line);
  const ref = { topicId: cmd.topicId, partition: cmd.partition };
  if (cmd.op === 'append') {
    const body = Buffer.from(cmd.body, 'base64');
    const info = { offsetCount: cmd.offsetCount ?? 1, recordCount: cmd.offsetCount ?? 1, maxTimestamp: Date.now(), ...(cmd.producer ? { producer: cmd.producer } : {}) };
    log.append(ref, info, body).then(
      (outcome) => out({ id: cmd.id, outcome }),
      (err) => out({ id: cmd.id, error: err.kind ?? String(err) }),
    );
  } else if (cmd.op === 'offsets') {
    log.offsets(ref).then((offsets) => out({ id: cmd.id, offsets }), (err) => out({ id: cmd.id, error: String(err) }));
  } else if (cmd.op === 'close') {
    await log.close();
    out({ id: cmd.id, closed: true });
    process.exit(0);
  }
}
