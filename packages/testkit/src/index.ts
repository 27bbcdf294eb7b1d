export { loadTestEnv, parseEnvFile } from './test-env.ts';
export type { TestEnv } from './test-env.ts';
export { startCaptureListener } from './capture-listener.ts';
export { CAPTURE_BROKER_APIS, startCaptureBroker } from './capture-broker.ts';
export type { CaptureBroker, CaptureBrokerOptions, CaptureFailure, CapturedRequest } from './capture-broker.ts';
export type { CaptureListener, CapturedFrame } from './capture-listener.ts';
export { javaTool, runTool } from './run-tool.ts';
export type { ToolResult } from './run-tool.ts';
export { RoundRobinProxy } from './round-robin-proxy.ts';
