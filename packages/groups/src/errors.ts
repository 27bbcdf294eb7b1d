import type { GroupErrorKind } from './group-model.ts';

/** A group operation that could not be carried out; the broker answers it with the kind's Kafka code. */
export class GroupError extends Error {
  readonly kind: GroupErrorKind;
  constructor(kind: GroupErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GroupError';
    this.kind = kind;
  }
}
