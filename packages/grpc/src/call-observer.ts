// What the gRPC server tells the composition root about its calls, for metrics: one event per
// finished call (method, status, duration, messages each way) from a server interceptor, and
// message bytes from the (de)serializers, where the sizes are known without encoding twice.
import {
  ResponderBuilder,
  ServerInterceptingCall,
  ServerListenerBuilder,
  status,
  type ServerInterceptor,
  type ServiceDefinition,
} from '@grpc/grpc-js';

export interface GrpcCallEvent {
  /** `package.Service/Method`, e.g. `floe.v1.Records/Produce`. */
  method: string;
  /** The status code's name: OK, INVALID_ARGUMENT, CANCELLED, ... */
  code: string;
  /** From the call's start to its status; a stream's whole life. */
  durationMs: number;
  messagesIn: number;
  messagesOut: number;
}

export interface GrpcCallObserver {
  onCall?(e: GrpcCallEvent): void;
  onBytes?(method: string, direction: 'in' | 'out', bytes: number): void;
}

const methodOf = (path: string) => path.replace(/^\//, '');

/** A server interceptor that reports each call once it has a status (or was cancelled). */
export function observingInterceptor(onCall: (e: GrpcCallEvent) => void): ServerInterceptor {
  return (descriptor, call) => {
    const started = performance.now();
    const method = methodOf(descriptor.path);
    let messagesIn = 0;
    let messagesOut = 0;
    let reported = false;
    const report = (code: string) => {
      if (reported) return;
      reported = true;
      onCall({ method, code, durationMs: performance.now() - started, messagesIn, messagesOut });
    };
    return new ServerInterceptingCall(
      call,
      new ResponderBuilder()
        .withStart((next) =>
          next(
            new ServerListenerBuilder()
              .withOnReceiveMessage((m, nextMessage) => {
                messagesIn++;
                nextMessage(m);
              })
              .withOnCancel(() => report('CANCELLED'))
              .build(),
          ),
        )
        .withSendMessage((m, next) => {
          messagesOut++;
          next(m);
        })
        .withSendStatus((s, next) => {
          report(status[s.code] ?? String(s.code));
          next(s);
        })
        .build(),
    );
  };
}

/** The definition with (de)serializers that report each message's size. */
export function countingDefinition<D extends ServiceDefinition>(def: D, onBytes: (method: string, direction: 'in' | 'out', bytes: number) => void): D {
  const out: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(def)) {
    const method = methodOf(m.path);
    out[name] = {
      ...m,
      requestDeserialize: (b: Buffer) => {
        onBytes(method, 'in', b.length);
        return m.requestDeserialize(b);
      },
      responseSerialize: (v: unknown) => {
        const b = m.responseSerialize(v);
        onBytes(method, 'out', b.length);
        return b;
      },
    };
  }
  return out as D;
}
