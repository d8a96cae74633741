// The one logger: human messages on stderr, so stdout stays for results (paths, JSON).
const quiet = () => process.env.ISOBENCH_QUIET === '1';
let statusShown = false;

function clearStatus() {
  if (statusShown && process.stderr.isTTY) {
    process.stderr.write('\r\x1b[2K');
  }
  statusShown = false;
}

function line(prefix: string, msg: string) {
  clearStatus();
  process.stderr.write(`${prefix}${msg}\n`);
}

export const log = {
  info: (msg: string) => { if (!quiet()) line('', msg); },
  step: (msg: string) => { if (!quiet()) line('==> ', msg); },
  warn: (msg: string) => line('warning: ', msg),
  error: (msg: string) => line('error: ', msg),
  debug: (msg: string) => { if (process.env.ISOBENCH_DEBUG) line('debug: ', msg); },
  /** a live status line (progress); rewritten in place on a TTY, printed as lines otherwise */
  status: (msg: string) => {
    if (quiet()) return;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r\x1b[2K${msg}`);
      statusShown = true;
    } else {
      process.stderr.write(`${msg}\n`);
    }
  },
  endStatus: () => clearStatus(),
};
