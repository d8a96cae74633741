// The host end of the guest agent's channel: a unix socket (QEMU's serial chardev, or a Firecracker/Cloud Hypervisor hybrid vsock).
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ExecOptions, ExecResult } from '../types.ts';
import { encodeRequest, hasReady, newNonce, parseResponse, pingLine, POWEROFF_LINE, type ParseOutcome } from './serial-protocol.ts';

/** how much longer than the guest's own timeout the host waits before it declares the agent stuck */
const HOST_GRACE_MS = 15_000;
/** cap on what is buffered from the channel for one response */
const MAX_BUFFER = 256 * 1024 * 1024;

export interface ChannelOptions {
  socketPath: string;
  /** for a hybrid vsock (Firecracker, Cloud Hypervisor): the guest port to CONNECT to */
  vsockPort?: number;
  /** shown as the exec's host argv (there is no host process per command) */
  label: string;
  /** how long past a command's timeout the host waits for the agent (default HOST_GRACE_MS) */
  graceMs?: number;
}

export interface GuestChannel {
  /** connect (retrying until the socket and the agent exist) and wait for the agent's READY */
  ready(timeoutMs: number, vmmAlive: () => boolean): Promise<void>;
  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** ask the guest to sync, unmount and power off; resolves once written */
  powerOff(): Promise<void>;
  close(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function connectOnce(o: ChannelOptions, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(o.socketPath);
    const timer = setTimeout(() => { s.destroy(); reject(new Error('connect timed out')); }, timeoutMs);
    s.once('error', (e) => { clearTimeout(timer); s.destroy(); reject(e); });
    s.once('connect', () => {
      if (o.vsockPort === undefined) { clearTimeout(timer); resolve(s); return; }
      // hybrid vsock: "CONNECT <port>\n" is answered by "OK <host port>\n", or the VMM closes the socket
      let head = '';
      const onData = (b: Buffer) => {
        head += b.toString('latin1');
        const nl = head.indexOf('\n');
        if (nl < 0) return;
        s.off('data', onData);
        clearTimeout(timer);
        if (!/^OK \d+/.test(head)) { s.destroy(); reject(new Error(`vsock CONNECT refused: ${head.slice(0, nl)}`)); return; }
        const rest = head.slice(nl + 1);
        if (rest) s.unshift(Buffer.from(rest, 'latin1'));
        resolve(s);
      };
      s.on('data', onData);
      s.once('close', () => { clearTimeout(timer); reject(new Error('vsock: closed before OK (no listener in the guest yet)')); });
      s.write(`CONNECT ${o.vsockPort}\n`);
    });
  });
}

export function guestChannel(o: ChannelOptions): GuestChannel {
  let sock: net.Socket | undefined;
  let buf = '';
  let closed = false;
  let broken: string | undefined;
  let wake: (() => void) | undefined;
  let busy = false;

  const attach = (s: net.Socket) => {
    sock = s;
    s.on('data', (b: Buffer) => {
      if (buf.length < MAX_BUFFER) buf += b.toString('latin1');
      wake?.();
    });
    s.on('close', () => { if (sock === s) { sock = undefined; closed = true; wake?.(); } });
    s.on('error', () => { /* close follows */ });
  };

  /** resolve when the predicate holds, or with false after ms */
  const waitFor = async (pred: () => boolean, ms: number, every?: () => void): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      every?.();
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 1000));
        wake = () => { clearTimeout(t); r(); };
      });
      wake = undefined;
    }
    return true;
  };

  const result = (argv: string[], t0: number, r: Partial<ExecResult>): ExecResult => ({
    stdout: '', stderr: '', code: null, signal: null, timedOut: false, ...r,
    ms: performance.now() - t0, hostArgv: [o.label, '--', ...argv],
  });

  return {
    async ready(timeoutMs, vmmAlive) {
      const deadline = Date.now() + timeoutMs;
      let lastError = '';
      while (!sock) {
        if (!vmmAlive()) throw new Error('the VMM exited before the guest agent answered');
        if (Date.now() > deadline) throw new Error(`no connection to ${o.socketPath} within ${timeoutMs / 1000} s (${lastError})`);
        try {
          attach(await connectOnce(o, 5_000));
          closed = false;
        } catch (e) {
          lastError = (e as Error).message;
          await sleep(200);
        }
      }
      // pings sent before the agent owns the line may be lost (stty flushes it): repeat them, at most one a second
      let lastPing = 0;
      const ok = await waitFor(() => hasReady(buf) || closed || !vmmAlive(), deadline - Date.now(), () => {
        if (Date.now() - lastPing < 1000) return;
        lastPing = Date.now();
        sock?.write(pingLine(newNonce()));
      });
      if (!ok) throw new Error(`the guest agent did not answer within ${timeoutMs / 1000} s`);
      if (!hasReady(buf)) throw new Error(closed ? 'the channel closed before the guest agent answered' : 'the VMM exited before the guest agent answered');
      buf = '';
    },

    async exec(argv, opts = {}) {
      const t0 = performance.now();
      if (broken) return result(argv, t0, { stderr: `isobench: ${broken}`, code: null });
      if (!sock || closed) return result(argv, t0, { stderr: 'isobench: the guest channel is closed (the VM has stopped)' });
      if (busy) throw new Error('guest channel: one command at a time');
      busy = true;
      try {
        const nonce = newNonce();
        const timeoutS = opts.timeoutMs ? Math.ceil(opts.timeoutMs / 1000) : 0;
        buf = '';
        sock.write(encodeRequest(nonce, argv, { timeoutS, env: opts.env }));
        const endMark = `@@ISOBENCH-END ${nonce} `;
        const grace = o.graceMs ?? HOST_GRACE_MS;
        const hostLimit = opts.timeoutMs ? opts.timeoutMs + grace : Number.MAX_SAFE_INTEGER;
        // parse only once the END marker shows up; it may still be cut mid-line, so 'incomplete' keeps waiting
        let parsed: ParseOutcome = { status: 'incomplete', stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
        const done = () => buf.includes(endMark) && (parsed = parseResponse(buf, nonce)).status !== 'incomplete';
        await waitFor(() => done() || closed, hostLimit);
        if (parsed.status === 'incomplete') parsed = parseResponse(buf, nonce);
        buf = '';
        if (parsed.status === 'complete') {
          const r = parsed.result;
          return result(argv, t0, { stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), code: r.code, timedOut: r.timedOut });
        }
        if (parsed.status === 'corrupt') {
          return result(argv, t0, { stderr: `isobench: the result came back garbled on the channel: ${parsed.error}` });
        }
        const partial = { stdout: parsed.stdout.toString('utf8'), stderr: parsed.stderr.toString('utf8') };
        if (closed) return result(argv, t0, { ...partial, stderr: `${partial.stderr}\nisobench: the guest channel closed before the command finished (guest crashed or powered off)` });
        broken = `a command outlived its timeout by ${grace / 1000} s and the guest agent never answered; the instance is unusable`;
        return result(argv, t0, { ...partial, timedOut: true, stderr: `${partial.stderr}\nisobench: ${broken}` });
      } finally {
        busy = false;
      }
    },

    async powerOff() {
      if (!sock || closed || sock.destroyed) return;
      // the write callback never comes if the VMM stops reading; the caller kills the VMM after its own wait anyway
      await new Promise<void>((r) => {
        const t = setTimeout(r, 2_000);
        sock!.write(POWEROFF_LINE, () => { clearTimeout(t); r(); });
      });
    },

    close() {
      closed = true;
      sock?.destroy();
      sock = undefined;
      wake?.();
    },
  };
}
