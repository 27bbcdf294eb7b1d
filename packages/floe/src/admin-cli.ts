// `floe topic ...` and `floe group ...`: the admin subcommands, talking to a running node's HTTP
// admin API (docs/observability.md). Tables for people, `--json` for scripts.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { authorizationHeader } from '@floe/grpc';
import { parseAdminArgs, partitionCount, partitionList, UsageError, type AdminArgs } from './admin-cli-args.ts';
import { DOOR_CLIENT_OPTIONS, doorClientUsage, readCaFile } from './door-client-args.ts';

export const ADMIN_USAGE = `usage:
  floe topic list
  floe topic create NAME [--partitions N] [--config key=value ...]
  floe topic describe NAME
  floe topic alter NAME [--config key=value ...] [--delete-config key ...] [--partitions N]
  floe topic delete NAME
  floe group list
  floe group describe GROUP
  floe group offsets GROUP
  floe group delete GROUP
  floe group reset-offsets GROUP --topic TOPIC [--partitions 0,1,...]
      (--to-earliest | --to-latest | --to-offset N | --to-datetime 2026-01-31T12:00:00Z) [--execute]
      (a dry run showing the new offsets unless --execute; the group must have no members)
options:
  --server URL   a node's HTTP address (default: $FLOE_ADMIN_URL, else http://127.0.0.1:8080)
  --json         print the API's JSON answer (one document per request)
${doorClientUsage('FLOE_ADMIN')}`;

export interface AdminCliIo {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
}

/** Columns padded to their widest cell. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd());
}

const dash = (v: number | null) => (v === null ? '-' : String(v));

interface OffsetRow {
  topic: string;
  partition: number;
  committedOffset: number;
  highWatermark: number | null;
  lag: number | null;
}

function offsetTable(offsets: OffsetRow[]): string[] {
  return table([
    ['TOPIC', 'PARTITION', 'COMMITTED', 'HIGH-WATERMARK', 'LAG'],
    ...offsets.map((o) => [o.topic, String(o.partition), String(o.committedOffset), dash(o.highWatermark), dash(o.lag)]),
  ]);
}

interface TopicJson {
  name: string;
  id: string;
  partitions: number;
  configs: Record<string, string>;
  partitionOffsets: { partition: number; logStartOffset: number; highWatermark: number }[];
}

function topicLines(t: TopicJson): string[] {
  const configs = Object.entries(t.configs).map(([k, v]) => `${k}=${v}`).join(',') || '(defaults)';
  return [
    `topic ${t.name} (id ${t.id}) configs: ${configs}`,
    ...table([['PARTITION', 'LOG-START', 'HIGH-WATERMARK'], ...t.partitionOffsets.map((o) => [String(o.partition), String(o.logStartOffset), String(o.highWatermark)])]),
  ];
}

interface Request {
  method: string;
  path: string;
  body?: unknown;
  render: (json: unknown) => string[];
}

/** Options each subcommand takes besides --server and --json. */
const OPTIONS: Record<string, string[]> = {
  'topic create': ['partitions', 'config'],
  'topic alter': ['config', 'delete-config', 'partitions'],
  'group reset-offsets': ['topic', 'partitions', 'to-earliest', 'to-latest', 'to-offset', 'to-datetime', 'execute'],
};

/** The HTTP requests a command line makes, in order; throws UsageError. */
export function adminRequests(p: AdminArgs): Request[] {
  const [noun, verb, name, ...extra] = p.positional;
  const command = `${noun} ${verb}`;
  const allowed = new Set(['server', 'json', ...DOOR_CLIENT_OPTIONS, ...(OPTIONS[command] ?? [])]);
  for (const option of p.seen) if (!allowed.has(option)) throw new UsageError(`floe ${command} does not take --${option}`);
  const needName = (what: string) => {
    if (name === undefined || extra.length > 0) throw new UsageError(`floe ${command} takes one ${what}`);
    return encodeURIComponent(name);
  };
  const noName = () => {
    if (name !== undefined) throw new UsageError(`floe ${command} takes no arguments`);
  };
  switch (command) {
    case 'topic list':
      noName();
      return [{ method: 'GET', path: '/api/v1/topics', render: (j) => table([['TOPIC', 'PARTITIONS', 'ID'], ...(j as TopicJson[]).map((t) => [t.name, String(t.partitions), t.id])]) }];
    case 'topic create': {
      needName('topic name');
      const body = { name: name!, ...(p.partitions === undefined ? {} : { partitions: partitionCount(p.partitions) }), configs: p.configs };
      return [{ method: 'POST', path: '/api/v1/topics', body, render: (j) => [`created topic ${(j as TopicJson).name} with ${(j as TopicJson).partitions} partitions`] }];
    }
    case 'topic describe':
      return [{ method: 'GET', path: `/api/v1/topics/${needName('topic name')}`, render: (j) => topicLines(j as TopicJson) }];
    case 'topic alter': {
      const path = `/api/v1/topics/${needName('topic name')}`;
      const changesConfigs = Object.keys(p.configs).length > 0 || p.deleteConfigs.length > 0;
      if (!changesConfigs && p.partitions === undefined) throw new UsageError('floe topic alter: give --config, --delete-config or --partitions');
      const count = p.partitions === undefined ? undefined : partitionCount(p.partitions);
      const out: Request[] = [];
      if (changesConfigs) {
        out.push({ method: 'PATCH', path: `${path}/configs`, body: { set: p.configs, delete: p.deleteConfigs }, render: (j) => [`altered the configs of topic ${name}`, ...topicLines(j as TopicJson)] });
      }
      if (count !== undefined) {
        out.push({ method: 'POST', path: `${path}/partitions`, body: { count }, render: (j) => [`topic ${name} now has ${(j as TopicJson).partitions} partitions`] });
      }
      return out;
    }
    case 'topic delete':
      return [{ method: 'DELETE', path: `/api/v1/topics/${needName('topic name')}`, render: () => [`deleted topic ${name}`] }];
    case 'group list':
      noName();
      return [
        {
          method: 'GET',
          path: '/api/v1/groups',
          render: (j) => table([['GROUP', 'TYPE', 'STATE'], ...(j as { groupId: string; type: string; state: string }[]).map((g) => [g.groupId, g.type, g.state])]),
        },
      ];
    case 'group describe':
      return [
        {
          method: 'GET',
          path: `/api/v1/groups/${needName('group id')}`,
          render: (j) => {
            const g = j as { groupId: string; type: string; state: string; members: { memberId: string; clientId: string; clientHost: string }[]; offsets: OffsetRow[] };
            return [
              `group ${g.groupId} (${g.type}) ${g.state}, ${g.members.length} member(s)`,
              ...g.members.map((m) => `  member ${m.memberId} client ${m.clientId} ${m.clientHost}`),
              ...offsetTable(g.offsets),
            ];
          },
        },
      ];
    case 'group offsets':
      return [
        {
          method: 'GET',
          path: `/api/v1/groups/${needName('group id')}/offsets`,
          render: (j) => {
            const g = j as { groupId: string; state: string; offsets: OffsetRow[] };
            return [`group ${g.groupId} ${g.state}`, ...offsetTable(g.offsets)];
          },
        },
      ];
    case 'group delete':
      return [{ method: 'DELETE', path: `/api/v1/groups/${needName('group id')}`, render: () => [`deleted group ${name}`] }];
    case 'group reset-offsets': {
      const path = `/api/v1/groups/${needName('group id')}/offsets/reset`;
      if (p.topic === undefined) throw new UsageError('floe group reset-offsets needs --topic');
      if (p.to === undefined) throw new UsageError('floe group reset-offsets needs one of --to-earliest, --to-latest, --to-offset N, --to-datetime TIME');
      const to = p.to.kind === 'offset' ? { to: 'offset', offset: p.to.offset } : p.to.kind === 'timestamp' ? { to: 'timestamp', timestamp: p.to.timestampMs } : { to: p.to.kind };
      const body = { topic: p.topic, ...(p.partitions === undefined ? {} : { partitions: partitionList(p.partitions) }), ...to, execute: p.execute };
      return [
        {
          method: 'POST',
          path,
          body,
          render: (j) => {
            const r = j as { groupId: string; topic: string; executed: boolean; partitions: { partition: number; previousOffset: number | null; newOffset: number }[] };
            return [
              ...table([['TOPIC', 'PARTITION', 'PREVIOUS', 'NEW'], ...r.partitions.map((x) => [r.topic, String(x.partition), dash(x.previousOffset), String(x.newOffset)])]),
              r.executed ? `committed the new offsets of group ${r.groupId}` : 'dry run: nothing committed (add --execute to commit these offsets)',
            ];
          },
        },
      ];
    }
    default:
      throw new UsageError(`unknown command: floe ${p.positional.join(' ')}`);
  }
}

/** Runs one admin subcommand; resolves to the exit code (0 done, 1 refused or unreachable, 2 usage). */
export async function runAdminCommand(argv: readonly string[], io: AdminCliIo): Promise<number> {
  let p: AdminArgs;
  let requests: Request[];
  try {
    p = parseAdminArgs(argv, io.env);
    requests = adminRequests(p);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`floe: ${err.message}\n${ADMIN_USAGE}`);
    return 2;
  }
  const base = p.server.replace(/\/+$/, '');
  const authorization = authorizationHeader(p.credentials);
  let ca: Buffer | undefined;
  try {
    ca = readCaFile(p.credentials);
  } catch (err) {
    io.err(`floe: --ca-file: ${(err as Error).message}`);
    return 1;
  }
  for (const request of requests) {
    let status: number;
    let json: unknown;
    try {
      const r = await send(`${base}${request.path}`, {
        method: request.method,
        headers: {
          ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(authorization ? { authorization } : {}),
        },
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        ca,
      });
      status = r.status;
      json = r.text === '' ? undefined : (JSON.parse(r.text) as unknown);
    } catch (err) {
      io.err(`floe: no answer from ${base}: ${(err as Error).message}`);
      return 1;
    }
    if (status >= 400) {
      io.err(`floe: ${(json as { error?: string } | undefined)?.error ?? `HTTP ${status}`}`);
      return 1;
    }
    if (p.json) io.out(JSON.stringify(json ?? null, null, 2));
    else for (const line of request.render(json)) io.out(line);
  }
  return 0;
}

/** One HTTP(S) request (node's own client, so that an https server may be trusted through a CA file). */
function send(url: string, o: { method: string; headers: Record<string, string>; body: string | undefined; ca: Buffer | undefined }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const options = { method: o.method, headers: o.headers, timeout: 30_000, ...(o.ca ? { ca: o.ca } : {}) };
    const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end(o.body);
  });
}
