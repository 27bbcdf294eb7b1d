export { ProtocolError } from './errors.ts';
