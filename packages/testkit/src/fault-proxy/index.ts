export { classifyRequest, type RequestClass, type Service } from './classify.ts';
export { FaultProxy, type FaultProxyOptions, type FaultProxyStats } from './fault-proxy.ts';
export { faultResponse, type FaultResponse } from './responses.ts';
export { FAULT_KINDS, FaultRuleError, FaultRules, ruleMatches, seededRandom, validateRule, type FaultKind, type FaultRule } from './rules.ts';
