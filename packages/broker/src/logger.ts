// The logging interface of the broker. Fields come first and the message second, the order pino
// uses: the composition root passes its pino logger as it is, and the broker never imports pino.

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
  /** A logger that adds `bindings` to every line it writes (a connection's, a request's). */
  child(bindings: LogFields): Logger;
}

const nothing = (): void => {};

/** A logger that drops everything (tests, and listeners built without one). */
export const silentLogger: Logger = {
  debug: nothing,
  info: nothing,
  warn: nothing,
  error: nothing,
  child: () => silentLogger,
};
