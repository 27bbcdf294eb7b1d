// infra/aws: cfn-lint validates the template offline against CloudFormation's resource
// specifications, and the template is held to what Floe's code really does: the table's key
// schema and TTL attribute, and an IAM policy granting exactly the calls the stores send.
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, type CollectionTag, type ScalarTag } from 'yaml';
import { runTool } from '@floe/testkit';
import { TTL_ATTRIBUTE } from '@floe/coordination';
import { deployTool } from '../../deploy/test/tools.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TEMPLATE = join(ROOT, 'infra/aws/floe.yaml');

// CloudFormation's short forms (!Ref, !Sub, ...) as their long forms.
const FUNCTIONS = ['Ref', 'Sub', 'GetAtt', 'If', 'Not', 'Equals'];
const customTags: (ScalarTag | CollectionTag)[] = FUNCTIONS.flatMap((fn) => {
  const key = fn === 'Ref' ? 'Ref' : `Fn::${fn}`;
  return [
    { tag: `!${fn}`, resolve: (value: string) => ({ [key]: fn === 'GetAtt' ? value.split('.') : value }) } as ScalarTag,
    { tag: `!${fn}`, collection: 'seq', resolve: (value: { toJSON(): unknown }) => ({ [key]: value.toJSON() }) } as unknown as CollectionTag,
  ];
});
const template = parse(readFileSync(TEMPLATE, 'utf8'), { customTags }) as any;

/** Calls the stores send in production (FLOE_CREATE_STORAGE=false): every SDK command they name, less those that only create storage. */
function commandsSent(pkg: string): Set<string> {
  const dir = join(ROOT, 'packages', pkg, 'src');
  const names = new Set<string>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/new (\w+)Command\(/g)) names.add(m[1]!);
  }
  for (const onlyCreating of ['CreateBucket', 'HeadBucket', 'CreateTable', 'DescribeTable', 'DescribeTimeToLive', 'UpdateTimeToLive']) {
    names.delete(onlyCreating);
  }
  return names;
}

// IAM authorises some calls under another action's name.
const S3_ACTIONS: Record<string, string[]> = {
  PutObject: ['s3:PutObject'],
  GetObject: ['s3:GetObject'],
  HeadObject: ['s3:GetObject'],
  DeleteObject: ['s3:DeleteObject'],
  ListObjectsV2: ['s3:ListBucket'],
};
const DYNAMODB_ACTIONS: Record<string, string[]> = {
  GetItem: ['dynamodb:GetItem'],
  PutItem: ['dynamodb:PutItem'],
  DeleteItem: ['dynamodb:DeleteItem'],
  Query: ['dynamodb:Query'],
  // A transaction is authorised action by action: Floe's hold puts, deletes and condition checks.
  TransactWriteItems: ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
};

function actionsFor(commands: Set<string>, table: Record<string, string[]>): string[] {
  return [...commands].flatMap((c) => {
    const actions = table[c];
    if (!actions) throw new Error(`${c}Command is sent by Floe but has no IAM action in this test: add it here and to infra/aws`);
    return actions;
  });
}

describe('infra/aws CloudFormation template', () => {
  test('cfn-lint finds nothing', async () => {
    const r = await runTool(deployTool('cfnLint'), [TEMPLATE], { timeoutMs: 120_000 });
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '', '']);
  });

  test('cfn-lint fails a template with a misspelt property (the check can fail)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'floe-cfn-'));
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, readFileSync(TEMPLATE, 'utf8').replace('PointInTimeRecoveryEnabled: true', 'PointInTimeRecoveryEnable: true'));
    const r = await runTool(deployTool('cfnLint'), [broken], { timeoutMs: 120_000 });
    rmSync(dir, { recursive: true, force: true });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('PointInTimeRecoveryEnable');
  });

  test("the table has Floe's key schema and TTL attribute, on demand, with point-in-time recovery", () => {
    const t = template.Resources.CoordinationTable.Properties;
    expect(t.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(t.AttributeDefinitions).toEqual([
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ]);
    // The code creates the same table when it owns it.
    const store = readFileSync(join(ROOT, 'packages/coordination/src/dynamodb-store.ts'), 'utf8');
    expect(store).toContain("{ AttributeName: 'pk', KeyType: 'HASH' }");
    expect(store).toContain("{ AttributeName: 'sk', KeyType: 'RANGE' }");
    expect(store).not.toMatch(/GlobalSecondaryIndexes|LocalSecondaryIndexes/);
    expect(t.TimeToLiveSpecification).toEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true });
    expect(t.BillingMode).toBe('PAY_PER_REQUEST');
    expect(t.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  test('the bucket is encrypted, private, TLS-only, and cleans up aborted uploads and old versions', () => {
    const b = template.Resources.SegmentBucket.Properties;
    expect(b.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(b.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBeDefined();
    const rules = b.LifecycleConfiguration.Rules;
    expect(rules.find((r: { AbortIncompleteMultipartUpload?: unknown }) => r.AbortIncompleteMultipartUpload)).toBeDefined();
    expect(rules.find((r: { NoncurrentVersionExpiration?: unknown }) => r.NoncurrentVersionExpiration)).toBeDefined();
    const deny = template.Resources.SegmentBucketPolicy.Properties.PolicyDocument.Statement[0];
    expect(deny).toMatchObject({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
  });

  test('the node policy grants exactly the S3 and DynamoDB actions the stores call', () => {
    const statements = template.Resources.NodePolicy.Properties.PolicyDocument.Statement.filter((s: { Sid?: string }) => s.Sid !== undefined);
    const granted = statements.flatMap((s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    const s3 = actionsFor(commandsSent('object-store'), S3_ACTIONS);
    const dynamodb = actionsFor(commandsSent('coordination'), DYNAMODB_ACTIONS);
    expect(granted.filter((a: string) => !a.startsWith('kms:')).sort()).toEqual([...new Set([...s3, ...dynamodb])].sort());
    expect(granted.every((a: string) => !a.includes('*'))).toBe(true);
  });

  test('outputs fill the Helm values', () => {
    expect(Object.keys(template.Outputs).sort()).toEqual(['MetadataUrl', 'NodePolicyArn', 'NodeRoleArn', 'ObjectStoreUrl', 'Region']);
    expect(template.Outputs.ObjectStoreUrl.Value).toEqual({ 'Fn::Sub': 's3://${SegmentBucket}/${ObjectPrefix}' });
    expect(template.Outputs.MetadataUrl.Value).toEqual({ 'Fn::Sub': 'dynamodb://${CoordinationTable}' });
  });
});
