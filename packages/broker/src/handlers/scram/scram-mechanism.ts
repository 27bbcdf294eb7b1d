// Kafka's numbering of SCRAM mechanisms in the credential APIs (ScramMechanism.type()).
import type { ScramMechanism } from '@floe/auth';

const BY_NUMBER: Record<number, ScramMechanism> = { 1: 'SCRAM-SHA-256', 2: 'SCRAM-SHA-512' };

export function scramMechanismOf(n: number): ScramMechanism | undefined {
  return BY_NUMBER[n];
}

export function scramMechanismNumber(m: ScramMechanism): number {
  return m === 'SCRAM-SHA-256' ? 1 : 2;
}
