// `floe topic ...` and `floe group ...`: the admin subcommands, talking to a running node's HTTP
// admin API (docs/observability.md). Tables for people, `--json` for scripts.

export const ADMIN_USAGE = `usage:
  floe topic list
  floe topic create NAME [--partitions N] [--config key=value ...]
  floe topic describe NAME
  floe topic delete NAME
  floe group list
  floe group describe GROUP
options:
  --server URL   a node's HTTP address (default: $FLOE_ADMIN_URL, else http://127.0.0.1:8080)
  --json         print the API's JSON answer`;

export interface AdminCliIo {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
}

class UsageError extends Error {}

interface Parsed {
  positional: string[];
  server: string;
  json: boolean;
  partitions: number | undefined;
  configs: Record<string, string>;
}

function parse(argv: readonly string[], env: NodeJS.ProcessEnv): Parsed {
  const p: Parsed = { positional: [], server: env.FLOE_ADMIN_URL ?? 'http://127.0.0.1:8080', json: false, partitions: undefined, configs: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--server') p.server = value();
    else if (a === '--json') p.json = true;
    else if (a === '--partitions') {
      const v = value();
      if (!/^\d+$/.test(v)) throw new UsageError(`--partitions: expected a whole number, got "${v}"`);
      p.partitions = Number(v);
    } else if (a === '--config') {
      const v = value();
      const at = v.indexOf('=');
      if (at <= 0) throw new UsageError(`--config: expected key=value, got "${v}"`);
      p.configs[v.slice(0, at)] = v.slice(at + 1);
    } else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else p.positional.push(a);
  }
  return p;
}

/** Columns padded to their widest cell. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd());
}

/** Runs one admin subcommand; resolves to the exit code (0 done, 1 refused or unreachable, 2 usage). */
export async function runAdminCommand(argv: readonly string[], io: AdminCliIo): Promise<number> {
  let p: Parsed;
  try {
    p = parse(argv, io.env);
  } catch (err) {
    io.err(`floe: ${(err as Error).message}\n${ADMIN_USAGE}`);
    return 2;
  }
  const [noun, verb, name, ...extra] = p.positional;
  const base = p.server.replace(/\/+$/, '');
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const r = await fetch(`${base}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await r.text();
    return { status: r.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };
  const needName = (what: string) => {
    if (name === undefined || extra.length > 0) throw new UsageError(`floe ${noun} ${verb} takes one ${what}`);
    return encodeURIComponent(name);
  };

  let request: { method: string; path: string; body?: unknown; render: (json: unknown) => string[] };
  try {
    if (noun === 'topic' && verb === 'list' && name === undefined) {
      request = {
        method: 'GET',
        path: '/api/v1/topics',
        render: (j) => table([['TOPIC', 'PARTITIONS', 'ID'], ...(j as { name: string; partitions: number; id: string }[]).map((t) => [t.name, String(t.partitions), t.id])]),
      };
    } else if (noun === 'topic' && verb === 'create') {
      const body = { name: decodeURIComponent(needName('topic name')), ...(p.partitions === undefined ? {} : { partitions: p.partitions }), configs: p.configs };
      request = { method: 'POST', path: '/api/v1/topics', body, render: (j) => [`created topic ${(j as { name: string }).name} with ${(j as { partitions: number }).partitions} partitions`] };
    } else if (noun === 'topic' && verb === 'describe') {
      request = {
        method: 'GET',
        path: `/api/v1/topics/${needName('topic name')}`,
        render: (j) => {
          const t = j as { name: string; id: string; configs: Record<string, string>; partitionOffsets: { partition: number; logStartOffset: number; highWatermark: number }[] };
          const configs = Object.entries(t.configs).map(([k, v]) => `${k}=${v}`).join(',') || '(defaults)';
          return [
            `topic ${t.name} (id ${t.id}) configs: ${configs}`,
            ...table([['PARTITION', 'LOG-START', 'HIGH-WATERMARK'], ...t.partitionOffsets.map((o) => [String(o.partition), String(o.logStartOffset), String(o.highWatermark)])]),
          ];
        },
      };
    } else if (noun === 'topic' && verb === 'delete') {
      request = { method: 'DELETE', path: `/api/v1/topics/${needName('topic name')}`, render: () => [`deleted topic ${name}`] };
    } else if (noun === 'group' && verb === 'list' && name === undefined) {
      request = {
        method: 'GET',
        path: '/api/v1/groups',
        render: (j) => table([['GROUP', 'TYPE', 'STATE'], ...(j as { groupId: string; type: string; state: string }[]).map((g) => [g.groupId, g.type, g.state])]),
      };
    } else if (noun === 'group' && verb === 'describe') {
      request = {
        method: 'GET',
        path: `/api/v1/groups/${needName('group id')}`,
        render: (j) => {
          const g = j as {
            groupId: string;
            type: string;
            state: string;
            members: { memberId: string; clientId: string; clientHost: string }[];
            offsets: { topic: string; partition: number; committedOffset: number; highWatermark: number | null; lag: number | null }[];
          };
          const dash = (v: number | null) => (v === null ? '-' : String(v));
          return [
            `group ${g.groupId} (${g.type}) ${g.state}, ${g.members.length} member(s)`,
            ...g.members.map((m) => `  member ${m.memberId} client ${m.clientId} ${m.clientHost}`),
            ...table([
              ['TOPIC', 'PARTITION', 'COMMITTED', 'HIGH-WATERMARK', 'LAG'],
              ...g.offsets.map((o) => [o.topic, String(o.partition), String(o.committedOffset), dash(o.highWatermark), dash(o.lag)]),
            ]),
          ];
        },
      };
    } else {
      throw new UsageError(`unknown command: floe ${p.positional.join(' ')}`);
    }
  } catch (err) {
    io.err(`floe: ${(err as Error).message}\n${ADMIN_USAGE}`);
    return 2;
  }

  let answer: { status: number; json: unknown };
  try {
    answer = await call(request.method, request.path, request.body);
  } catch (err) {
    io.err(`floe: no answer from ${base}: ${(err as Error).message}`);
    return 1;
  }
  if (answer.status >= 400) {
    const message = (answer.json as { error?: string } | undefined)?.error ?? `HTTP ${answer.status}`;
    io.err(`floe: ${message}`);
    return 1;
  }
  if (p.json) io.out(JSON.stringify(answer.json ?? null, null, 2));
  else for (const line of request.render(answer.json)) io.out(line);
  return 0;
}
