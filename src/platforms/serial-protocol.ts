// The host <-> guest agent protocol on a serial line or vsock: one request line, results between nonce-tagged markers.
//
//   host:  @@ISOBENCH-RUN <nonce> <timeoutS> <base64 of a /bin/sh script>@@
//   guest: @@ISOBENCH-BEGIN <nonce>@@
//          @@ISOBENCH-STDOUT <nonce> <bytes> <sha256>@@   then base64 lines
//          @@ISOBENCH-STDERR <nonce> <bytes> <sha256>@@   then base64 lines
//          @@ISOBENCH-END <nonce> <exit code> <1 if the guest's timeout killed it, else 0>@@
//   host:  @@ISOBENCH-PING <nonce>@@      guest: @@ISOBENCH-READY <nonce>@@
//   host:  @@ISOBENCH-POWEROFF@@          (the guest syncs, unmounts and powers off)
//
// Markers may sit anywhere in a line (a kernel message may precede them), lines may end in \r\n, and
// lines that are not base64 are noise (kernel messages); sizes and sha256 catch anything that still slips through.
import { createHash, randomBytes } from 'node:crypto';

export const MARK = '@@ISOBENCH';

export const newNonce = () => randomBytes(6).toString('hex');

/** POSIX sh single-quoting: exact for every byte string (the guest reconstructs argv with no interpretation). */
export function shQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The script the guest runs for argv: exec, so the exit code and signals are the command's own. */
export function commandScript(argv: string[], env?: Record<string, string>): string {
  if (argv.length === 0) throw new Error('exec: empty argv');
  for (const k of Object.keys(env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`exec: environment variable name '${k}' is not valid`);
  }
  const envArgs = Object.entries(env ?? {}).map(([k, v]) => `${k}=${v}`);
  const words = envArgs.length ? ['env', ...envArgs, ...argv] : argv;
  return `exec ${words.map(shQuote).join(' ')}\n`;
}

export function encodeRequest(nonce: string, argv: string[], opts: { timeoutS?: number; env?: Record<string, string> } = {}): string {
  const t = Math.max(0, Math.ceil(opts.timeoutS ?? 0));
  return `${MARK}-RUN ${nonce} ${t} ${Buffer.from(commandScript(argv, opts.env)).toString('base64')}@@\n`;
}

export const pingLine = (nonce: string) => `${MARK}-PING ${nonce}@@\n`;
export const POWEROFF_LINE = `${MARK}-POWEROFF@@\n`;

/** True when text holds the agent's READY answer (to any ping, or the one it prints at start). */
export function hasReady(text: string): boolean {
  return /@@ISOBENCH-READY [0-9a-f]*@@/.test(text);
}

export interface GuestResult {
  code: number;
  timedOut: boolean;
  stdout: Buffer;
  stderr: Buffer;
  /** lines dropped as noise inside the response */
  noise: number;
}

export type ParseOutcome =
  | { status: 'complete'; result: GuestResult }
  | { status: 'incomplete'; stdout: Buffer; stderr: Buffer }
  | { status: 'corrupt'; error: string };

const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;

interface Section { bytes: number; sha256: string; lines: string[]; noisy: string[] }

function decodeSection(s: Section | undefined, which: string): { data: Buffer; error?: string } {
  if (!s) return { data: Buffer.alloc(0), error: `${which}: section missing` };
  const check = (lines: string[]) => {
    const data = Buffer.from(lines.join(''), 'base64');
    const ok = data.length === s.bytes && createHash('sha256').update(data).digest('hex') === s.sha256;
    return { data, ok };
  };
  const plain = check(s.lines);
  if (plain.ok) return { data: plain.data };
  // a kernel message that broke into a base64 line leaves the line's base64 prefix before it: try with those prefixes
  const salvaged = check(s.noisy);
  if (salvaged.ok) return { data: salvaged.data };
  return {
    data: plain.data,
    error: `${which}: expected ${s.bytes} bytes (sha256 ${s.sha256.slice(0, 12)}…), decoded ${plain.data.length} bytes that do not match (output lost or garbled on the channel)`,
  };
}

/**
 * Find the response to `nonce` in everything read from the channel since the request was sent.
 * 'incomplete' until the END marker arrives (then partial output is offered for a timeout's report).
 */
export function parseResponse(text: string, nonce: string): ParseOutcome {
  const lines = text.split('\n').map((l) => l.replace(/\r+$/, '').replace(/\r/g, ''));
  const begin = `${MARK}-BEGIN ${nonce}@@`;
  const start = lines.findIndex((l) => l.includes(begin));
  if (start < 0) return { status: 'incomplete', stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  const sections: Record<string, Section> = {};
  let current: Section | undefined;
  let noise = 0;
  const sectionRe = new RegExp(`${MARK}-(STDOUT|STDERR) ${nonce} (\\d+) ([0-9a-f]{64})@@`);
  const endRe = new RegExp(`${MARK}-END ${nonce} (-?\\d+) ([01])@@`);
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i];
    const end = endRe.exec(line);
    if (end) {
      // text before the marker is noise, or (in the salvage variant) the tail of a base64 line that lost its newline
      const before = /^[A-Za-z0-9+/]*/.exec(line.slice(0, end.index))![0];
      if (current && before) current.noisy.push(before);
      const out = decodeSection(sections.STDOUT, 'stdout');
      const err = decodeSection(sections.STDERR, 'stderr');
      if (out.error || err.error) return { status: 'corrupt', error: [out.error, err.error].filter(Boolean).join('; ') };
      return { status: 'complete', result: { code: Number(end[1]), timedOut: end[2] === '1', stdout: out.data, stderr: err.data, noise } };
    }
    const sec = sectionRe.exec(line);
    if (sec) {
      current = { bytes: Number(sec[2]), sha256: sec[3], lines: [], noisy: [] };
      sections[sec[1]] = current;
      continue;
    }
    if (!current) { noise++; continue; }
    const trimmed = line.trim();
    if (BASE64_LINE.test(trimmed)) {
      current.lines.push(trimmed);
      current.noisy.push(trimmed);
    } else {
      noise++;
      const prefix = /^[A-Za-z0-9+/]*/.exec(line)![0];
      if (prefix) current.noisy.push(prefix);
    }
  }
  // not finished: best-effort partial output, for the error report of a guest that never ends
  const partial = (s?: Section) => {
    const b64 = (s?.lines ?? []).join('').replace(/=+/g, '');
    return Buffer.from(b64.slice(0, b64.length - (b64.length % 4)), 'base64');
  };
  return { status: 'incomplete', stdout: partial(sections.STDOUT), stderr: partial(sections.STDERR) };
}

// ---- one-shot starts (startup): no agent; the command's output and then its exit line arrive on the serial console ----
//
//   guest console:  [kernel lines] <the command's output> [kernel lines] @@ISOBENCH-ONESHOT-EXIT <code>@@ [kernel lines]

const ONESHOT_EXIT_RE = /@@ISOBENCH-ONESHOT-EXIT (-?\d+)@@/;
/** a kernel console line: '[    1.234567] ...' (printk time stamps are on in the Debian kernels) */
const KERNEL_LINE = /^\[\s*\d+\.\d+\] /;

export interface OneShotConsole {
  /** the command's exit code as the guest's init reported it; null when the console never said (the guest died first) */
  code: number | null;
  /** console lines up to the exit line, kernel lines left out: what the command printed */
  output: string;
}

/** Read a one-shot guest's console (as the host received it: \r\n line ends, kernel lines in between). */
export function parseOneShotConsole(text: string): OneShotConsole {
  const lines = text.replace(/\r/g, '').split('\n');
  const out: string[] = [];
  for (const line of lines) {
    const end = ONESHOT_EXIT_RE.exec(line);
    if (end) {
      const before = line.slice(0, end.index);
      if (before) out.push(before); // output without a final newline runs into the exit line
      return { code: Number(end[1]), output: out.length ? `${out.join('\n')}\n` : '' };
    }
    if (!KERNEL_LINE.test(line)) out.push(line);
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  return { code: null, output: out.length ? `${out.join('\n')}\n` : '' };
}
