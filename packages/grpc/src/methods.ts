// Building blocks of the gRPC services: method definitions over the generated protobufjs
// messages, and unary handlers that answer errors with their status.
import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { toServiceError } from './status.ts';

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

// Failed calls are logged by the request-id interceptor, with their status and request id.
export function unary<Req, Res>(fn: (req: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    fn(call.request, call).then(
      (res) => callback(null, res),
      (err: unknown) => callback(toServiceError(err)),
    );
  };
}
