// memcached's text protocol (doc/protocol.txt): get and set over one TCP connection, one request in flight.
import net from 'node:net';

export type MemcachedReply =
  | { kind: 'value'; value: Buffer | null } // get: the value, or null on a miss
  | { kind: 'stored' }
  | { kind: 'version'; version: string }
  | { kind: 'error'; message: string }; // ERROR, CLIENT_ERROR …, SERVER_ERROR …, NOT_STORED

const CRLF = Buffer.from('\r\n');

/**
 * One complete reply at the start of buf, and how many bytes it took; undefined when more bytes are needed.
 * expect says which request it answers (a get's reply is VALUE … END, others are one line).
 */
export function parseReply(buf: Buffer, expect: 'get' | 'set' | 'version'): { reply: MemcachedReply; used: number } | undefined {
  const eol = buf.indexOf(CRLF);
  if (eol < 0) return undefined;
  const line = buf.subarray(0, eol).toString('latin1');
  const afterLine = eol + 2;
  if (line === 'ERROR' || line.startsWith('ERROR ') || line.startsWith('CLIENT_ERROR') || line.startsWith('SERVER_ERROR') || line === 'NOT_STORED') {
    return { reply: { kind: 'error', message: line }, used: afterLine };
  }
  if (expect === 'set') {
    if (line === 'STORED') return { reply: { kind: 'stored' }, used: afterLine };
    return { reply: { kind: 'error', message: `unexpected reply to set: ${line.slice(0, 80)}` }, used: afterLine };
  }
  if (expect === 'version') {
    if (line.startsWith('VERSION ')) return { reply: { kind: 'version', version: line.slice(8) }, used: afterLine };
    return { reply: { kind: 'error', message: `unexpected reply to version: ${line.slice(0, 80)}` }, used: afterLine };
  }
  if (line === 'END') return { reply: { kind: 'value', value: null }, used: afterLine };
  const m = /^VALUE \S+ \d+ (\d+)(?: \d+)?$/.exec(line);
  if (!m) return { reply: { kind: 'error', message: `unexpected reply to get: ${line.slice(0, 80)}` }, used: afterLine };
  const bytes = Number(m[1]);
  const end = afterLine + bytes + 2 + 5; // data, CRLF, "END\r\n"
  if (buf.length < end) return undefined;
  if (buf.subarray(afterLine + bytes, end).toString('latin1') !== '\r\nEND\r\n') {
    return { reply: { kind: 'error', message: 'a get reply whose data is not followed by END' }, used: end };
  }
  return { reply: { kind: 'value', value: Buffer.from(buf.subarray(afterLine, afterLine + bytes)) }, used: end };
}

/** memcached keys: at most 250 bytes, no spaces or control characters */
export function checkKey(key: string): string {
  if (!/^[\x21-\x7e]{1,250}$/.test(key)) throw new Error(`memcached key '${key.slice(0, 40)}' is not 1-250 printable bytes`);
  return key;
}

export interface MemcachedConnection {
  get(key: string): Promise<MemcachedReply>;
  set(key: string, value: Buffer): Promise<MemcachedReply>;
  version(): Promise<MemcachedReply>;
  close(): void;
}

/** Connect; every request waits for its reply before the next (YCSB's client threads are closed loops). */
export function connectMemcached(host: string, port: number, timeoutMs = 10_000): Promise<MemcachedConnection> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection({ host, port });
    sock.setNoDelay(true);
    let buf: Buffer = Buffer.alloc(0);
    let pending: { expect: 'get' | 'set' | 'version'; resolve: (r: MemcachedReply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;
    let failed: Error | undefined;
    const fail = (e: Error) => {
      failed ??= e;
      if (pending) { clearTimeout(pending.timer); pending.reject(failed); pending = undefined; }
    };
    sock.on('data', (b: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, b]) : b;
      if (!pending) { fail(new Error(`memcached sent ${b.length} bytes nobody asked for: ${b.toString('latin1').slice(0, 80).trim()}`)); return; }
      const r = parseReply(buf, pending.expect);
      if (!r) return;
      buf = buf.subarray(r.used);
      const p = pending;
      pending = undefined;
      clearTimeout(p.timer);
      p.resolve(r.reply);
    });
    sock.on('error', (e) => { fail(e); reject(e); });
    sock.on('close', () => fail(new Error('memcached closed the connection')));
    const request = (expect: 'get' | 'set' | 'version', bytes: Buffer[]): Promise<MemcachedReply> => new Promise((res, rej) => {
      if (failed) { rej(failed); return; }
      if (pending) { rej(new Error('one request at a time')); return; }
      const timer = setTimeout(() => fail(new Error(`no reply from memcached within ${timeoutMs} ms`)), timeoutMs);
      pending = { expect, resolve: res, reject: rej, timer };
      sock.write(bytes.length === 1 ? bytes[0] : Buffer.concat(bytes));
    });
    sock.once('connect', () => resolve({
      get: (key) => request('get', [Buffer.from(`get ${checkKey(key)}\r\n`)]),
      set: (key, value) => request('set', [Buffer.from(`set ${checkKey(key)} 0 0 ${value.length}\r\n`), value, CRLF]),
      version: () => request('version', [Buffer.from('version\r\n')]),
      close: () => { failed ??= new Error('closed'); sock.destroy(); },
    }));
  });
}
