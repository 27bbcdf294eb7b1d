// The node's one real logger (pino), made here in the composition root and handed down through
// the small Logger interfaces of the packages (@floe/broker's Logger, GrpcLogger, HttpLogger):
// no other package imports pino.
import { pino, stdSerializers, stdTimeFunctions, type DestinationStream, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import type { LogFormat, LogLevel } from './config.ts';
import { REDACTED } from './secrets.ts';

export type NodeLogger = PinoLogger;

/**
 * Field paths where a secret can reach a log line: request headers, AWS SDK credentials, and any
 * field named like a secret one level down. pino replaces their values before writing.
 */
export const REDACT_PATHS = [
  'authorization',
  'cookie',
  'password',
  'secret',
  'token',
  'credentials',
  'secretAccessKey',
  'sessionToken',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  '*.authorization',
  '*.cookie',
  '*.password',
  '*.secret',
  '*.token',
  '*.credentials',
  '*.secretAccessKey',
  '*.sessionToken',
  '*.AWS_SECRET_ACCESS_KEY',
  '*.AWS_SESSION_TOKEN',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers["x-api-key"]',
];

export interface LogSettings {
  logLevel: LogLevel;
  logFormat: LogFormat;
}

/**
 * JSON lines (`level` as a name, `time` in ISO 8601, `msg`) on stdout, or, with the pretty
 * format, coloured single lines for a terminal. Writes are synchronous: a line written just
 * before a crash is not lost, and the hot path writes nothing at info anyway.
 */
export function createLogger(settings: LogSettings, destination?: DestinationStream): NodeLogger {
  const options = {
    level: settings.logLevel,
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    // Floe's code names errors `error` as often as `err`: both get pino's error shape.
    serializers: { err: stdSerializers.err, error: stdSerializers.err },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
  };
  if (settings.logFormat === 'pretty') {
    // pino-pretty as a stream in this thread rather than a transport worker: a second thread is
    // not worth it for a format meant for a developer's terminal. It is a well-kept part of pino's
    // family, so no formatter of our own.
    const colorize = destination === undefined && process.stdout.isTTY === true;
    return pino(options, pretty({ colorize, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: destination ?? 1 }));
  }
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}
