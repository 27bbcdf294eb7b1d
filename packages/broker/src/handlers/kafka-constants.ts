// Values Kafka's protocol gives special meaning, shared by the handlers.

/** The all-zero topic id: "no id" (a topic named only by its name). */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** Authorized-operations fields when the client did not ask for them (Integer.MIN_VALUE). */
export const OPERATIONS_NOT_REQUESTED = -2147483648;
