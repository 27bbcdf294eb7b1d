/**
 * A login that must be refused. The message is safe to show the client (it never says whether
 * the user exists); `detail` is for the node's log only.
 */
export class AuthenticationError extends Error {
  readonly detail: string;
  constructor(message: string, detail?: string) {
    super(message);
    this.name = 'AuthenticationError';
    this.detail = detail ?? message;
  }
}

/** A credential change that breaks a rule (Kafka's UNACCEPTABLE_CREDENTIAL and friends). */
export type CredentialErrorKind = 'unacceptable' | 'not-found' | 'unsupported-mechanism';

export class CredentialError extends Error {
  readonly kind: CredentialErrorKind;
  constructor(kind: CredentialErrorKind, message: string) {
    super(message);
    this.name = 'CredentialError';
    this.kind = kind;
  }
}
