// SaslHandshake: the client names a mechanism; the exchange itself follows in SaslAuthenticate.
// v0 and v1 are answered alike (librdkafka needs v0 listed to try SASL at all), and after either
// the exchange must come in SaslAuthenticate requests: the raw SASL tokens outside Kafka framing
// that clients before Kafka 1.0 sent after a v0 handshake are not read (docs/security.md).
import { ApiKey, ErrorCode, defaultSaslHandshakeResponse } from '@floe/protocol';
import { defineHandler } from '../../handler.ts';

export function saslHandshakeHandler() {
  return defineHandler({
    apiKey: ApiKey.SaslHandshake,
    minVersion: 0,
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
