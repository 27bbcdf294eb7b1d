// The generated messages, loaded after protobufjs is told to use plain numbers for int64.
import './protobuf-numbers.ts';

export { floe, grpc } from '../generated/protos.js';
