// Every workload parser against truncated and garbled copies of its recorded real outputs (test/fixtures/<workload>/):
// it must refuse with a WorkloadError, or return only finite, non-negative numbers — never NaN, Infinity or a negative value.
// A truncated output (the tool killed mid-report) must be refused unless the cut left everything the parser reads,
// i.e. the result equals the full output's; a garbled byte may go unnoticed (a digit changed is still a number).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { paths } from '../../src/paths.ts';
import { seededRandom } from '../../src/stats/random.ts';
import type { ExecResult } from '../../src/types.ts';
import { WorkloadError } from '../../src/types.ts';
import { parseFfmpegEncode } from '../../src/workloads/ffmpeg.ts';
import { parseFio } from '../../src/workloads/fio.ts';
import { workloads } from '../../src/workloads/index.ts';
import { parseIperf3 } from '../../src/workloads/iperf3.ts';
import { parsePerfRecord, parsePerfScript } from '../../src/workloads/kernel-trace.ts';
import { parseSockperf } from '../../src/workloads/latency-rr.ts';
import { parseStartup } from '../../src/workloads/startup.ts';
import { parseYcsbReport } from '../../src/workloads/memcached-ycsb.ts';
import { parseStream } from '../../src/workloads/stream.ts';
import { parseOltpReport } from '../../src/workloads/sysbench-oltp-report.ts';
import { parseSysbenchCpu } from '../../src/workloads/sysbench-cpu.ts';
import { parseSysbenchMemory } from '../../src/workloads/sysbench-memory.ts';
import { skip, skipPart } from '../helpers/skip.ts';

/**
 * One parser and its fixtures. A workload file may export `parsers: ParserCase[]` itself (then no entry here is
 * needed); otherwise it is listed in `table`, or, when its file exports exactly one `parseX(output: string)`, that
 * one is used with the fixtures named `ok-*` as good outputs.
 */
export interface ParserCase {
  parser: string;
  /** folder under test/fixtures/ (default: the workload id) */
  dir?: string;
  /** fixture names that are complete, valid outputs */
  good: RegExp;
  /** fixture names that are real failed outputs: must be refused as they are */
  bad?: RegExp;
  /** the output to mutate from a fixture file, and how to parse a mutated copy (default: the file's text and `parse`) */
  open?: (text: string) => { output: string; parse: (output: string) => unknown };
  parse?: (output: string) => unknown;
  /** a line stream whose truncation at a line boundary is a shorter valid stream (perf script): truncations are only checked for sane numbers */
  truncatedMayParse?: boolean;
}

const startupCase = (marker: string) => (text: string) => {
  const r = JSON.parse(text) as ExecResult;
  return { output: r.stdout, parse: (stdout: string) => parseStartup({ ...r, stdout }, marker) };
};

/** what isobench asked the YCSB client for, as the recorded run was asked: a mutated copy is parsed against the same request */
const ycsbCase = (text: string) => {
  const asked = (JSON.parse(text.split('\n').find((l) => l.startsWith('{'))!) as { options: { mix: string; operations: number } }).options;
  return { output: text, parse: (stdout: string) => parseYcsbReport(stdout, { mix: asked.mix as 'a', operations: asked.operations }) };
};

const table: Record<string, ParserCase[]> = {
  'sysbench-cpu': [{ parser: 'parseSysbenchCpu', parse: parseSysbenchCpu, good: /^ok-.*\.txt$/, bad: /^(bad|killed)-.*\.txt$/ }],
  'sysbench-memory': [{ parser: 'parseSysbenchMemory', parse: parseSysbenchMemory, good: /^ok-.*\.txt$/, bad: /^(bad|killed)-.*\.txt$/ }],
  stream: [{ parser: 'parseStream', parse: (t) => parseStream(t), good: /^ok-.*\.json$/, bad: /^(bad|killed)-.*\.txt$/ }],
  fio: [{
    parser: 'parseFio',
    parse: (t) => parseFio(t, ['write', 'read', 'randwrite', 'randread']),
    good: /^(ok-.*|tmpfs-accepts-direct)\.json$/,
    bad: /^odirect-refused-ramfs\.stdout$/,
  }],
  iperf3: [{ parser: 'parseIperf3', parse: parseIperf3, good: /^(ok-.*|gvisor-unable-to-receive-results\.EDITED)\.json$/, bad: /^(no-server|gvisor-hostnet-.*\.client)\.json$/ }],
  ffmpeg: [{ parser: 'parseFfmpegEncode', parse: (t) => parseFfmpegEncode(t, 30), good: /^encode-1s-.*\.stderr$/, bad: /^(bad|unknown|missing|garbage|killed)-.*\.stderr$/ }],
  'latency-rr': [{ parser: 'parseSockperf', parse: parseSockperf, good: /-100b\.stdout$/, bad: /-no-server\.stdout$/ }],
  startup: [{ parser: 'parseStartup', open: startupCase('isobench-ready'), good: /-echo\.json$/, bad: /^(runc-missing-command|runc-timeout|native-silent)\.json$/ }],
  'mysql-oltp': [{ parser: 'parseOltpReport', parse: parseOltpReport, good: /^run-.*\.txt$/, bad: /^(auth-refused|refused|server-gone|too-many-connections|prepare-disk-full)\.txt$/ }],
  'memcached-ycsb': [{ parser: 'parseYcsbReport', open: ycsbCase, good: /^mix-.*\.json$/, bad: /^(no-server|server-gone|too-many-connections)\.json$/ }],
  hap: [
    { parser: 'parsePerfRecord', dir: 'hap', parse: parsePerfRecord, good: /^perf-record-ok\.stderr$/, bad: /^perf-record-(permission|no-such-process)\.stderr$/ },
    { parser: 'parsePerfScript', dir: 'hap', parse: parsePerfScript, good: /^perf-script-.*\.txt$/, truncatedMayParse: true },
  ],
};

/** Every number in a parse result (through arrays, objects, Sets and Maps), with where it sits. */
function numbers(v: unknown, at = 'result', out: [string, number][] = []): [string, number][] {
  if (typeof v === 'number') out.push([at, v]);
  else if (v instanceof Set) [...v].forEach((x, i) => numbers(x, `${at}{${i}}`, out));
  else if (v instanceof Map) for (const [k, x] of v) numbers(x, `${at}.${String(k)}`, out);
  else if (Array.isArray(v)) v.forEach((x, i) => numbers(x, `${at}[${i}]`, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) numbers(x, `${at}.${k}`, out);
  return out;
}

const canonical = (v: unknown): string => JSON.stringify(v, (_k, x) => (x instanceof Set ? [...x].sort() : x instanceof Map ? [...x.entries()] : x));

/** Truncations: at every line end (sampled when many), at evenly spaced bytes, and inside numbers. */
function truncations(text: string): number[] {
  const cuts = new Set<number>();
  const lineEnds = [...text.matchAll(/\n/g)].map((m) => m.index!);
  const step = Math.max(1, Math.floor(lineEnds.length / 300));
  lineEnds.forEach((p, i) => { if (i % step === 0) { cuts.add(p); cuts.add(p + 1); } });
  for (let k = 0; k < 80; k++) cuts.add(Math.floor((text.length * k) / 80));
  const digitRuns = [...text.matchAll(/\d{2,}/g)].slice(0, 200);
  for (const m of digitRuns) cuts.add(m.index! + m[0].length - 1); // the last digit cut off
  // a cut that removes only whitespace leaves the output intact
  return [...cuts].filter((c) => c >= 0 && c < text.length && text.slice(c).trim() !== '').sort((a, b) => a - b);
}

/** Garbled copies: random bytes replaced, numbers made negative/NaN/huge/empty, a line deleted or repeated. */
function garbles(text: string, seed: number): { what: string; output: string }[] {
  const random = seededRandom(seed);
  const out: { what: string; output: string }[] = [];
  const junk = ['\0', '\xff', '-', 'x', '{', '"', '\n', ' ', '9', '.'];
  for (let k = 0; k < 120 && text.length > 0; k++) {
    const chars = [...text];
    const n = 1 + random.index(3);
    const where: number[] = [];
    for (let j = 0; j < n; j++) {
      const p = random.index(chars.length);
      chars[p] = junk[random.index(junk.length)];
      where.push(p);
    }
    out.push({ what: `bytes at ${where.join(',')} replaced`, output: chars.join('') });
  }
  const runs = [...text.matchAll(/\d+(?:\.\d+)?/g)];
  const picked = runs.length <= 40 ? runs : Array.from({ length: 40 }, () => runs[random.index(runs.length)]);
  for (const m of picked) {
    for (const repl of [`-${m[0]}`, 'NaN', 'nan', 'inf', '1e999', '', `${m[0]}e400`]) {
      out.push({ what: `number '${m[0]}' at ${m.index} -> '${repl}'`, output: text.slice(0, m.index!) + repl + text.slice(m.index! + m[0].length) });
    }
  }
  const lines = text.split('\n');
  for (let k = 0; k < 30 && lines.length > 1; k++) {
    const i = random.index(lines.length);
    out.push({ what: `line ${i + 1} deleted`, output: [...lines.slice(0, i), ...lines.slice(i + 1)].join('\n') });
    out.push({ what: `line ${i + 1} repeated`, output: [...lines.slice(0, i + 1), ...lines.slice(i)].join('\n') });
  }
  return out;
}

type Outcome = { refused: true; error: unknown } | { refused: false; value: unknown };
function attempt(parse: (s: string) => unknown, output: string): Outcome {
  try {
    return { refused: false, value: parse(output) };
  } catch (error) {
    return { refused: true, error };
  }
}

/** Problems with one outcome: a non-WorkloadError throw, or a number that is NaN, infinite or negative. */
function problem(o: Outcome): string | null {
  if (o.refused) return o.error instanceof WorkloadError ? null : `threw ${(o.error as Error)?.name}: ${(o.error as Error)?.message} (parsers must throw WorkloadError)`;
  const bad = numbers(o.value).filter(([, x]) => !Number.isFinite(x) || x < 0);
  return bad.length ? `returned ${bad.map(([at, x]) => `${at} = ${x}`).join(', ')}` : null;
}

async function casesOf(id: string): Promise<{ cases: ParserCase[]; why?: string }> {
  if (table[id]) return { cases: table[id] };
  const file = path.join(paths.root, 'src', 'workloads', `${id}.ts`);
  if (!existsSync(file)) return { cases: [], why: `no src/workloads/${id}.ts to look for parsers in; add it to the table in this test` };
  const mod = (await import(file)) as Record<string, unknown>;
  if (Array.isArray(mod.parsers)) return { cases: mod.parsers as ParserCase[] };
  const single = Object.entries(mod).filter(([k, v]) => /^parse[A-Z]/.test(k) && typeof v === 'function' && (v as Function).length === 1);
  if (single.length === 1) return { cases: [{ parser: single[0][0], parse: single[0][1] as (s: string) => unknown, good: /^ok-/ }] };
  return { cases: [], why: `src/workloads/${id}.ts exports ${single.length} single-argument parse functions; export \`parsers\` or add it to the table in this test` };
}

for (const w of workloads) {
  test(`${w.id}: parsers refuse truncated and garbled output, and never return NaN or negative numbers`, async () => {
    const { cases, why } = await casesOf(w.id);
    if (cases.length === 0) return skip(`${w.id}: ${why ?? 'no parser cases'}`);
    for (const c of cases) {
      const dir = path.join(paths.root, 'test', 'fixtures', c.dir ?? w.id);
      const names = existsSync(dir) ? readdirSync(dir).sort() : [];
      const good = names.filter((n) => c.good.test(n));
      if (good.length === 0) {
        skipPart(`${w.id}/${c.parser}: no good fixture matching ${c.good} in test/fixtures/${c.dir ?? w.id}/ yet`);
        continue;
      }
      const open = (text: string) => (c.open ? c.open(text) : { output: text, parse: c.parse! });

      for (const n of names.filter((x) => c.bad?.test(x))) {
        const { output, parse } = open(readFileSync(path.join(dir, n), 'latin1'));
        const o = attempt(parse, output);
        assert.ok(o.refused && o.error instanceof WorkloadError, `${w.id}/${c.parser}: the failed output ${n} must be refused with a WorkloadError, got ${o.refused ? String(o.error) : canonical(o.value)}`);
      }

      for (const n of good) {
        const { output, parse } = open(readFileSync(path.join(dir, n), 'latin1'));
        const full = attempt(parse, output);
        assert.not.ok(full.refused, `${w.id}/${c.parser}: the complete output ${n} must parse: ${full.refused ? String(full.error) : ''}`);
        assert.is(problem(full), null, `${w.id}/${c.parser} on ${n}: ${problem(full)}`);
        const fullValue = canonical((full as { value: unknown }).value);
        assert.ok(numbers((full as { value: unknown }).value).length > 0, `${w.id}/${c.parser} on ${n}: no number in the result`);

        const failures: string[] = [];
        for (const cut of truncations(output)) {
          const o = attempt(parse, output.slice(0, cut));
          const p = problem(o);
          if (p) failures.push(`cut at byte ${cut}: ${p}`);
          else if (!o.refused && !c.truncatedMayParse && canonical(o.value) !== fullValue) {
            failures.push(`cut at byte ${cut} (…${JSON.stringify(output.slice(Math.max(0, cut - 30), cut))}): accepted, returning ${canonical(o.value).slice(0, 200)} instead of refusing`);
          }
        }
        for (const g of garbles(output, n.length * 7919 + output.length)) {
          const p = problem(attempt(parse, g.output));
          if (p) failures.push(`${g.what}: ${p}`);
        }
        assert.is(failures.length, 0, `${w.id}/${c.parser} on ${n}: ${failures.length} bad outcome(s):\n  ${failures.slice(0, 8).join('\n  ')}`);
      }
    }
  });
}

test.run();
