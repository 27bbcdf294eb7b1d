/** The logger the gRPC server reports to; @floe/broker's Logger fits it. */
export interface GrpcLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export const silentGrpcLogger: GrpcLogger = { info() {}, warn() {}, error() {} };
