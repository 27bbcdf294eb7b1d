// Listener fixtures for tests: a listener on 127.0.0.1 with a capturing logger, and test handlers.
import { afterEach } from '@jest/globals';

import {
  ApiKey,
  defaultSaslAuthenticateResponse,
  type SaslAuthenticateRequest,
  type SaslAuthenticateResponse,
} from '@floe/protocol';
import {
  createRegistry,
  defineHandler,
  KafkaListener,
  type ApiHandler,
  type HandlerResult,
  type KafkaListenerOptions,
  type LogFields,
  type Logger,
  type RequestContext,
  type RequestEvent,
  silentLogger,
} from '../../src/index.ts';
import { RawClient } from './raw-client.ts';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: LogFields;
}

/** A logger keeping every entry, its child loggers' bindings merged into the fields (as pino writes them). */
export function captureLogger(entries: LogEntry[] = [], bindings: LogFields = {}): Logger & { entries: LogEntry[] } {
  const at = (level: LogEntry['level']) => (fields: LogFields, message: string) => {
    entries.push({ level, message, fields: { ...bindings, ...fields } });
  };
  return {
    entries,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => captureLogger(entries, { ...bindings, ...more }),
  };
}

/** A RequestContext for calling a handler directly (no listener). */
export function testRequestContext(fields: Partial<RequestContext> = {}): RequestContext {
  return {
    connectionId: 1,
    clientId: 'test',
    clientAddress: '127.0.0.1:40000',
    principal: 'User:ANONYMOUS',
    signal: new AbortController().signal,
    requestId: '1-0',
    logger: silentLogger,
    ...fields,
  };
}

export interface TestListener {
  listener: KafkaListener;
  port: number;
  logs: LogEntry[];
  events: RequestEvent[];
}

export async function startTestListener(
  handlers: readonly ApiHandler[] = [],
  options: Partial<KafkaListenerOptions> = {},
): Promise<TestListener> {
  const logger = captureLogger();
  const events: RequestEvent[] = [];
  const listener = new KafkaListener({
    registry: createRegistry(handlers),
    host: '127.0.0.1',
    port: 0,
    logger,
    onRequest: (e) => events.push(e),
    ...options,
  });
  const { port } = await listener.listen();
  return { listener, port, logs: logger.entries, events };
}

/**
 * A test API on the SaslAuthenticate key (36, versions 0-2), chosen because its request and its
 * response both carry a bytes field: the answer echoes the request's bytes (or `responseBytes`
 * of them), after `before` has settled.
 */
export function echoHandler(
  opts: {
    before?: (req: SaslAuthenticateRequest, ctx: RequestContext) => Promise<unknown> | undefined;
    responseBytes?: number;
    result?: (req: SaslAuthenticateRequest) => HandlerResult<SaslAuthenticateResponse> | undefined;
    minVersion?: number;
    maxVersion?: number;
  } = {},
): ApiHandler<typeof ApiKey.SaslAuthenticate> & { calls: number } {
  const h = {
    calls: 0,
    ...defineHandler({
      apiKey: ApiKey.SaslAuthenticate,
      minVersion: opts.minVersion ?? 0,
      maxVersion: opts.maxVersion ?? 2,
      async handle(ctx, request) {
        h.calls++;
        await opts.before?.(request, ctx);
        const custom = opts.result?.(request);
        if (custom !== undefined) return custom;
        const response = defaultSaslAuthenticateResponse();
        response.authBytes =
          opts.responseBytes === undefined ? Buffer.from(request.authBytes) : Buffer.alloc(opts.responseBytes, 7);
        return response;
      },
    }),
  };
  return h;
}

/** A promise with its resolve function, for handlers a test releases by hand. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/**
 * The listener and raw clients of one describe block, closed after each test: `start` replaces
 * startTestListener, `client` connects to the current listener.
 */
export function listenerFixture(): {
  start: (...args: Parameters<typeof startTestListener>) => Promise<TestListener>;
  client: () => Promise<RawClient>;
} {
  const clients: RawClient[] = [];
  let current: TestListener | undefined;
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await current?.listener.close({ drainMs: 500 });
    current = undefined;
  });
  return {
    start: async (...args) => (current = await startTestListener(...args)),
    client: async () => {
      const c = await RawClient.connect(current!.port);
      clients.push(c);
      return c;
    },
  };
}
