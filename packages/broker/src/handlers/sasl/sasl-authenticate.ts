// SaslAuthenticate: one message of the exchange SaslHandshake began. A refused login is answered
// with SASL_AUTHENTICATION_FAILED and a message, after a delay that grows with the failures of
// the client's address, and the connection closes (Kafka's behaviour).
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthenticationError } from '@floe/auth';
import { ApiKey, ErrorCode, defaultSaslAuthenticateResponse } from '@floe/protocol';
import { defineHandler } from '../../handler.ts';
import { clientHostAddress } from '../access.ts';

export function saslAuthenticateHandler() {
  return defineHandler({
    apiKey: ApiKey.SaslAuthenticate,
    minVersion: 0,
    maxVersion: 2,
    async handle(rc, request, header) {
      const response = defaultSaslAuthenticateResponse();
      const session = rc.sasl;
      if (session === undefined || session.exchange === undefined) {
        response.errorCode = ErrorCode.ILLEGAL_SASL_STATE;
        response.errorMessage = 'SaslAuthenticate without a SaslHandshake before it';
        if (session) session.closeAfterAnswer = 'SaslAuthenticate out of order';
        return response;
      }
      const exchange = session.exchange;
      try {
        const step = await exchange.step(request.authBytes);
        response.authBytes = step.challenge;
        if (!step.done) return response;
        const lifetimeMs = session.succeed(step.principal!, step.expiresAtMs);
        if (header.apiVersion >= 1) response.sessionLifetimeMs = BigInt(lifetimeMs);
        rc.logger.info({ mechanism: exchange.mechanism, principal: step.principal, sessionLifetimeMs: lifetimeMs }, 'SASL authentication succeeded');
        return response;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const detail = err instanceof AuthenticationError ? err.detail : message;
        session.exchange = undefined;
        session.closeAfterAnswer = 'SASL authentication failed';
        const delayMs = session.settings.failedLogins.fail(clientHostAddress(rc.clientAddress));
        rc.logger.info({ mechanism: exchange.mechanism, reason: detail, delayMs }, 'SASL authentication failed');
        if (!(err instanceof AuthenticationError) && !/re-authentication/.test(message)) {
          rc.logger.warn({ err: String(err) }, 'SASL authentication could not complete');
        }
        await sleep(delayMs, undefined, { signal: rc.signal }).catch(() => undefined);
        response.errorCode = ErrorCode.SASL_AUTHENTICATION_FAILED;
        response.errorMessage = err instanceof AuthenticationError || /re-authentication/.test(message) ? message : 'Authentication failed';
        response.authBytes = Buffer.alloc(0);
        return response;
      }
    },
  });
}
