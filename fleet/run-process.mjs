#!/usr/bin/env node
// fleet/stop.yml's finder of a host's own `isobench run`: the processes whose command line is, byte for byte, one the
// measure task launches in this host's folders (no pattern: no escaping, no locale, no other workdir's run can match).
// Plain JavaScript with no dependencies: it runs on the host with Node alone, from the shipped checkout.
//
//   node run-process.mjs [--signal SIGINT] [--wait-job JOBFILE --wait SECONDS] '<JSON list of argv lists>'
//
// Prints the matching pids, one a line; exit 0 when some matched (and were signalled), 1 when none, 2 on bad usage.
// --wait-job: while Ansible's job file of the measure job says it has not finished, a run not there yet (the job's
// module still starting it) is waited for, at most --wait seconds.
import { readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';

function usage(problem) {
  process.stderr.write(`run-process.mjs: ${problem}\n`);
  process.exit(2);
}

function parseArgs(args) {
  const opts = { signal: undefined, job: undefined, waitS: 0, argvs: undefined };
  // an option's value: the next argument, never nothing
  const valueOf = (i, option) => (i < args.length ? args[i] : usage(`${option} takes a value`));
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--signal') opts.signal = valueOf(++i, a);
    else if (a === '--wait-job') opts.job = valueOf(++i, a);
    else if (a === '--wait') opts.waitS = Number(valueOf(++i, a));
    else if (opts.argvs === undefined) {
      try { opts.argvs = JSON.parse(a); } catch { usage(`not JSON: ${a}`); }
    } else usage(`unexpected argument: ${a}`);
  }
  if (!Array.isArray(opts.argvs) || opts.argvs.length === 0 || !opts.argvs.every((v) => Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string'))) {
    usage('give a JSON list of command lines, each a list of strings');
  }
  if (opts.signal !== undefined && !(opts.signal in constants.signals)) usage(`unknown signal: ${opts.signal}`);
  if (!Number.isFinite(opts.waitS) || opts.waitS < 0) usage('--wait takes seconds');
  return opts;
}

/** pids whose /proc/<pid>/cmdline is exactly one of `wanted` (NUL-terminated argv bytes); zombies have none */
function matching(wanted) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline;
    try { cmdline = readFileSync(`/proc/${entry}/cmdline`); } catch { continue; /* exited meanwhile */ }
    if (wanted.some((w) => w.equals(cmdline))) pids.push(Number(entry));
  }
  return pids;
}

/** the measure job still runs: its job file says so (Ansible rewrites it with the result when the module ends) */
function jobRunning(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8')).finished === 0;
  } catch {
    return false;
  }
}

const opts = parseArgs(process.argv.slice(2));
const wanted = opts.argvs.map((argv) => Buffer.from(`${argv.join('\0')}\0`, 'utf8'));
const deadline = Date.now() + opts.waitS * 1000;
let pids = matching(wanted);
while (pids.length === 0 && opts.job !== undefined && Date.now() < deadline && jobRunning(opts.job)) {
  await new Promise((r) => setTimeout(r, 200));
  pids = matching(wanted);
}
for (const pid of pids) {
  // checked just above: the signal goes to that run, never to a process that took its pid since
  if (opts.signal !== undefined) {
    try { process.kill(pid, opts.signal); } catch { /* ended meanwhile */ }
  }
  process.stdout.write(`${pid}\n`);
}
process.exit(pids.length > 0 ? 0 : 1);
