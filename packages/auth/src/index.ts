export { AuthenticationError, CredentialError, type CredentialErrorKind } from './errors.ts';
export { SASL_MECHANISMS, isSaslMechanism, type SaslExchange, type SaslMechanism, type SaslStep } from './sasl.ts';
export {
  MAX_SCRAM_ITERATIONS,
  MIN_SCRAM_ITERATIONS,
  SCRAM_MECHANISMS,
  digest,
  hmac,
  isScramMechanism,
  keysFromSaltedPassword,
  saltedPassword,
  xor,
  type ScramKeys,
  type ScramMechanism,
} from './scram-crypto.ts';
export { NonceRegistry, ScramServerExchange, decodeSaslName, parseClientFirst, type ScramKeyLookup } from './scram-server.ts';
export { SCRAM_CREDENTIALS_PK, ScramCredentialStore, checkUpsertion, type ScramChange, type ScramCredentialInfo } from './scram-credentials.ts';
export { PlainServerExchange, checkPasswordAgainstScram, parsePlain, type PlainMessage } from './plain.ts';
export { JwtValidator, OAuthBearerServerExchange, parseOAuthBearer, type OAuthBearerMessage, type OAuthBearerOptions } from './oauthbearer.ts';
export { Authenticator, type AuthenticatorOptions } from './authenticator.ts';
export { FailedLogins, type FailedLoginOptions } from './failed-logins.ts';
export { certificatePrincipal, escapeDnValue, formatDn, parseNodeSubject } from './distinguished-name.ts';
export {
  DEFAULT_PRINCIPAL_MAPPING_RULES,
  NoMatchingPrincipalRuleError,
  PrincipalMappingRulesError,
  mapPrincipalName,
  parsePrincipalMappingRules,
  principalMappingOf,
  type PrincipalMappingRule,
  type PrincipalMappingRules,
} from './principal-mapping.ts';
