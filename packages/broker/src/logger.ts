// The logging interface of the broker. Fields come first and the message second, the order pino
// uses, so a pino logger can be passed as it is once the composition root wires one in.

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function fieldValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

function format(level: LogLevel, fields: LogFields, message: string): string {
  let rest = '';
  try {
    rest = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields, fieldValue)}` : '';
  } catch {
    rest = ' [fields not serialisable]';
  }
  return `${new Date().toISOString()} ${level.toUpperCase()} ${message}${rest}`;
}

/** A logger writing one line per entry to stderr, dropping entries below `level` (default info). */
export function consoleLogger(level: LogLevel = 'info'): Logger {
  const min = RANK[level];
  const at = (l: LogLevel) => (fields: LogFields, message: string) => {
    if (RANK[l] >= min) console.error(format(l, fields, message));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const nothing = (): void => {};

/** A logger that drops everything (tests). */
export const silentLogger: Logger = { debug: nothing, info: nothing, warn: nothing, error: nothing };
