// ApiVersions (key 18): the versions this broker serves, taken from the handler registry.
//
// Kafka's rules, followed here:
// - The answer lists every registered API with the range its handler declares.
// - From v3 the request carries the client's software name and version; Kafka answers
//   INVALID_REQUEST (42) when either does not match [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?.
// - A version the broker does not serve gets a v0 answer with UNSUPPORTED_VERSION (35) and the
//   ApiVersions range, so the client retries with a version it finds there (KIP-511). The listener
//   sends that answer (unsupportedApiVersionsAnswer below), because the request never reaches a
//   handler: the codec may not even parse its body.
// - Features (supportedFeatures, finalizedFeatures) are left empty: Floe has none to advertise.

import {
  APIS,
  ApiKey,
  defaultApiVersionsResponse,
  defaultApiVersionsResponseApiVersion,
  ErrorCode,
  type ApiVersionsResponse,
} from '@floe/protocol';
import { defineHandler, type ApiHandler } from '../handler.ts';
import type { ApiVersionRange } from '../registry.ts';

/** What the ApiVersions handler needs from the registry. */
export interface ApiVersionsSource {
  apiVersions(): readonly ApiVersionRange[];
}

const SOFTWARE_NAME_OR_VERSION = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

function versionList(source: ApiVersionsSource): ApiVersionsResponse['apiKeys'] {
  return source.apiVersions().map((r) => ({
    ...defaultApiVersionsResponseApiVersion(),
    apiKey: r.apiKey,
    minVersion: r.minVersion,
    maxVersion: r.maxVersion,
  }));
}

export function apiVersionsHandler(source: ApiVersionsSource): ApiHandler<typeof ApiKey.ApiVersions> {
  return defineHandler({
    apiKey: ApiKey.ApiVersions,
    minVersion: APIS[ApiKey.ApiVersions].minVersion,
    maxVersion: APIS[ApiKey.ApiVersions].maxVersion,
    async handle(_ctx, request, header) {
      const response = defaultApiVersionsResponse();
      if (
        header.apiVersion >= 3 &&
        !(
          SOFTWARE_NAME_OR_VERSION.test(request.clientSoftwareName) &&
          SOFTWARE_NAME_OR_VERSION.test(request.clientSoftwareVersion)
        )
      ) {
        response.errorCode = ErrorCode.INVALID_REQUEST;
        return response;
      }
      response.apiKeys = versionList(source);
      return response;
    },
  });
}

/**
 * The body of the v0 answer to an ApiVersions request of a version the broker does not serve:
 * UNSUPPORTED_VERSION and, as Kafka does, one entry: the ApiVersions range itself. Clients retry
 * with that range's highest version (franz-go, for one, retries only when the list holds just
 * that entry; with a longer list it takes the list as the final answer and skips the retry).
 */
export function unsupportedApiVersionsAnswer(source: ApiVersionsSource): ApiVersionsResponse {
  const response = defaultApiVersionsResponse();
  response.errorCode = ErrorCode.UNSUPPORTED_VERSION;
  response.apiKeys = versionList(source).filter((k) => k.apiKey === ApiKey.ApiVersions);
  return response;
}
