export { ANOMALY_KINDS, anomalyTotal, checkHistory, type AnomalyKind, type CheckReport } from './check.ts';
export type { Assignment, Commit, History, HistoryEvent, Read, Send, SendOutcome } from './history.ts';
