/** `--name N` from the command line as a non-negative integer, or `fallback`; exits 2 on junk. */
export function intArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`${name} needs a non-negative integer`);
    process.exit(2);
  }
  return v;
}

/** A decoder did something other than succeed or throw a ProtocolError on `input`: a bug. */
export class FuzzBug extends Error {
  readonly input: Buffer;
  constructor(message: string, input: Buffer, cause: unknown) {
    super(message, { cause });
    this.name = 'FuzzBug';
    this.input = input;
  }
}
