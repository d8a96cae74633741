// The error for input that isobench will not read or use: a run directory, artifact or file that is unsafe or malformed.

/** Untrusted input refused before anything was done with it; the CLI prints the one-line message and exits 2. */
export class RefusedInput extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedInput';
  }
}
