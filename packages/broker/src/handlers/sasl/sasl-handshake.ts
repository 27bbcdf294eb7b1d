// SaslHandshake: the client names a mechanism; the exchange itself follows in SaslAuthenticate.
// v1 only: v0 was followed by raw SASL tokens outside Kafka framing, which no current client
// sends (see docs/security.md).
import { ApiKey, ErrorCode, defaultSaslHandshakeResponse } from '@floe/protocol';
import { defineHandler } from '../../handler.ts';

export function saslHandshakeHandler() {
  return defineHandler({
    apiKey: ApiKey.SaslHandshake,
    minVersion: 1,
    maxVersion: 1,
    async handle(rc, request) {
      const response = defaultSaslHandshakeResponse();
      const session = rc.sasl;
      if (session === undefined) {
        // A listener without SASL (PLAINTEXT, SSL), as Kafka answers there.
        response.errorCode = ErrorCode.ILLEGAL_SASL_STATE;
        return response;
      }
      response.mechanisms = [...session.settings.authenticator.mechanisms];
      const exchange = session.settings.authenticator.begin(request.mechanism);
      if (exchange === undefined) {
        response.errorCode = ErrorCode.UNSUPPORTED_SASL_MECHANISM;
        session.closeAfterAnswer = `unsupported SASL mechanism ${JSON.stringify(request.mechanism.slice(0, 64))}`;
        return response;
      }
      session.exchange = exchange;
      return response;
    },
  });
}
