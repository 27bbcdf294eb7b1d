// Imported before the generated code (ESM evaluates imports in order): makes protobufjs decode
// int64 fields as JavaScript numbers instead of Long objects, and gives absent int64 fields the
// default 0. Offsets and timestamps are checked to be safe integers where they come in. Unknown
// fields are kept while decoding ($unknowns) so that requests carrying them can be refused.
import $protobuf from 'protobufjs/minimal.js';

$protobuf.util.Long = undefined as unknown as typeof $protobuf.util.Long;
$protobuf.Reader.discardUnknown = false;
$protobuf.configure();
