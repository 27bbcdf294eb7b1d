// Handlers wrapped so that every request's handling time reaches an observer (metrics), without
// the handlers or the listener knowing of it.
import { CLOSE_CONNECTION, NO_RESPONSE, type ApiHandler } from './handler.ts';

export interface HandledRequest {
  apiKey: number;
  apiVersion: number;
  /** From the handler's call to its answer (queueing behind earlier requests included for handlers that order their work). */
  durationMs: number;
  /** answered, no-response (acks=0), closed (the handler closed the connection), failed (it threw). */
  outcome: 'answered' | 'no-response' | 'closed' | 'failed';
}

export function observeHandlers(handlers: readonly ApiHandler[], observe: (r: HandledRequest) => void): ApiHandler[] {
  return handlers.map(
    (h): ApiHandler => ({
      apiKey: h.apiKey,
      minVersion: h.minVersion,
      maxVersion: h.maxVersion,
      handle(ctx, request, header) {
        const started = performance.now();
        const report = (outcome: HandledRequest['outcome']) => {
          try {
            observe({ apiKey: h.apiKey, apiVersion: header.apiVersion, durationMs: performance.now() - started, outcome });
          } catch {
            // an observer's failure must not fail the request
          }
        };
        // handle() is called synchronously in request order; so is the wrapped one.
        return h.handle(ctx, request as never, header).then(
          (result) => {
            report(result === NO_RESPONSE ? 'no-response' : result === CLOSE_CONNECTION ? 'closed' : 'answered');
            return result;
          },
          (err: unknown) => {
            report('failed');
            throw err;
          },
        );
      },
    }),
  );
}
