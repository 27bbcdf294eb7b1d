// Building blocks of the gRPC services: method definitions over the generated protobufjs
// messages, and unary handlers that answer errors with their status.
import { status, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { GrpcStatusError, statusOf, toServiceError } from './status.ts';
import type { GrpcLogger } from './logger.ts';

type Msg<T> = { encode(m: T): { finish(): Uint8Array }; decode(b: Uint8Array): T };

export function method<Req, Res>(
  service: string,
  name: string,
  req: Msg<Req>,
  res: Msg<Res>,
  requestStream: boolean,
  responseStream: boolean,
) {
  return {
    path: `/${service}/${name}`,
    requestStream,
    responseStream,
    requestSerialize: (m: Req) => Buffer.from(req.encode(m).finish()),
    requestDeserialize: (b: Buffer) => req.decode(b),
    responseSerialize: (m: Res) => Buffer.from(res.encode(m).finish()),
    responseDeserialize: (b: Buffer) => res.decode(b),
  };
}

export function unary<Req, Res>(logger: GrpcLogger, name: string, fn: (req: Req) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    fn(call.request).then(
      (res) => callback(null, res),
      (err: unknown) => {
        report(logger, name, err);
        callback(toServiceError(err));
      },
    );
  };
}

export function report(logger: GrpcLogger, name: string, err: unknown): void {
  const code = statusOf(err);
  if (err instanceof GrpcStatusError || code !== status.UNAVAILABLE) return;
  logger.warn({ method: name, error: err instanceof Error ? err.message : String(err) }, 'gRPC call failed: storage unavailable');
}
