/** The logger the gRPC server reports to; @floe/broker's Logger (and pino's) fits it. */
export interface GrpcLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  /** A logger adding `bindings` to every line (a call's request id and method). */
  child(bindings: Record<string, unknown>): GrpcLogger;
}

export const silentGrpcLogger: GrpcLogger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silentGrpcLogger };
