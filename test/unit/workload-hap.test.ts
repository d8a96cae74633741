import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { root } from '../../src/paths.ts';
import { WorkloadError, type Instance } from '../../src/types.ts';
import { hap, hapWorkloadArgv, workloadSeconds } from '../../src/workloads/hap.ts';
import { workloadById } from '../../src/workloads/index.ts';
import {
  ftraceCounter, inInterruptContext, parseFtraceLine, parseFtracePrefix, parsePerfRecord, parsePerfScript, perfRecordArgv,
  taskContextFrames, tracefsMountPoint,
} from '../../src/workloads/kernel-trace.ts';
import { testHost } from '../helpers/host-changes.ts';

const isWorkloadError = (e: Error) => e instanceof WorkloadError;

const fixture = (f: string) => readFileSync(path.join(root, 'test', 'fixtures', 'hap', f), 'utf8');
const count = (text: string) => {
  const c = ftraceCounter();
  for (const l of text.split('\n')) c.line(l);
  return c.result();
};

test('the fixed workload: sysbench and an fsync write/read loop until one deadline, long enough for the window', () => {
  const p = { attachS: 3, durationS: 10, sysbenchThreads: 2, fileMiB: 16 };
  assert.is(workloadSeconds(p), 15);
  const [sh, c, script] = hapWorkloadArgv(p, '/data');
  assert.equal([sh, c], ['sh', '-c']);
  assert.match(script, /^end=\$\(\( \$\(date \+%s\) \+ 15 \)\)$/m);
  assert.match(script, /sysbench cpu --threads=2 --time=15 run >\/dev\/null 2>&1 &/);
  assert.match(script, /dd if=\/dev\/zero of=\/data\/isobench-hap\.bin bs=1M count=16 conv=fsync/);
  assert.match(script, /cat \/data\/isobench-hap\.bin >\/dev\/null/);
  assert.match(script, /\nwait$/);
  assert.throws(() => hapWorkloadArgv(p, "/data'; reboot"), /absolute path without spaces or quotes/);
});

test('perf record: cpu-clock call chains of the listed pids for a fixed time', () => {
  assert.equal(perfRecordArgv([12, 34], 5, 999, '/tmp/x/perf.data'), [
    'perf', 'record', '-g', '-e', 'cpu-clock', '-F', '999', '-p', '12,34', '-o', '/tmp/x/perf.data', '--', 'sleep', '5',
  ]);
});

test('perf script of a real capture: distinct kernel functions over whole call chains, interrupt work left out', () => {
  const r = parsePerfScript(fixture('perf-script-native.txt'));
  assert.is(r.samples, 500);
  assert.is(r.kernelSamples, 108);
  assert.is(r.unknownKernelFrames, 0);
  assert.is(r.interruptSamples, 3);
  assert.is(r.functions.size, 168); // 177 distinct kernel symbols in the file, minus interrupt handlers and what they called
  for (const f of ['vfs_write', 'ext4_buffered_write_iter', 'clear_page_erms', 'do_syscall_64', 'entry_SYSCALL_64_after_hwframe', 'irqentry_exit_to_user_mode']) {
    assert.ok(r.functions.has(f), `${f} should be counted`);
  }
  for (const f of ['asm_sysvec_apic_timer_interrupt', 'sysvec_apic_timer_interrupt', 'handle_softirqs', '__irq_exit_rcu', 'asm_sysvec_reschedule_ipi']) {
    assert.not.ok(r.functions.has(f), `${f} is interrupt work`);
  }
  assert.not.ok([...r.functions].some((f) => f.startsWith('[') || /^[0-9a-f]+$/.test(f)), 'only named kernel symbols');
});

test('interrupt cut on real chains: the handler and what it called go, the task context and the return path stay', () => {
  // leaf first, as perf prints them (from perf-script-native.txt)
  assert.equal(taskContextFrames(['handle_softirqs', '__irq_exit_rcu', 'sysvec_apic_timer_interrupt', 'asm_sysvec_apic_timer_interrupt', 'irqentry_exit_to_user_mode', 'asm_sysvec_apic_timer_interrupt']),
    { kept: ['irqentry_exit_to_user_mode'], dropped: 3 });
  assert.equal(taskContextFrames(['finish_task_switch.isra.0', '__schedule', 'schedule', 'irqentry_exit_to_user_mode', 'asm_sysvec_reschedule_ipi']),
    { kept: ['irqentry_exit_to_user_mode', 'schedule', '__schedule', 'finish_task_switch.isra.0'], dropped: 0 });
  assert.equal(taskContextFrames(['ext4_block_write_begin', 'vfs_write', 'do_syscall_64']), { kept: ['do_syscall_64', 'vfs_write', 'ext4_block_write_begin'], dropped: 0 });
});

test('kernel frames without symbols (no kallsyms access) are counted as unknown, never as functions', () => {
  const r = parsePerfScript(fixture('perf-script-no-kernel-symbols.txt'));
  assert.is(r.samples, 500);
  assert.is(r.functions.size, 0);
  assert.ok(r.unknownKernelFrames > 500);
});

test('a user-space frame whose dso name holds parentheses (gVisor\'s memfd) is read, not refused', () => {
  // recorded under gvisor-ptrace: the sandbox's application memory is a deleted memfd
  const text = 'runsc-sandbox 4242/4242\n\tffffffff81a0b0c0 do_syscall_64 ([kernel.kallsyms])\n\t10c0 [unknown] (/memfd:runsc-memory (deleted))\n\n';
  const r = parsePerfScript(text);
  assert.equal([...r.functions], ['do_syscall_64']);
  assert.is(r.samples, 1);
});

test('truncated or garbled perf script output is a WorkloadError', () => {
  const ok = fixture('perf-script-native.txt');
  const cut = ok.indexOf('generic_perform_write');
  assert.throws(() => parsePerfScript(ok.slice(0, cut + 5)), (e: Error) => e instanceof WorkloadError && /unreadable call-chain line/.test(e.message));
  assert.throws(() => parsePerfScript('garbage without a pid\n\tffffffff81000130 x ([kernel.kallsyms])\n'), isWorkloadError);
  assert.equal(parsePerfScript('').samples, 0);
});

test('perf record: the samples it wrote; refusal and a vanished pid are WorkloadErrors with perf\'s words', () => {
  assert.is(parsePerfRecord(fixture('perf-record-ok.stderr')), 2976);
  assert.throws(() => parsePerfRecord(fixture('perf-record-permission.stderr')), (e: Error) => e instanceof WorkloadError && /Access to performance monitoring and observability operations is limited/.test(e.message));
  assert.throws(() => parsePerfRecord(fixture('perf-record-no-such-process.stderr')), (e: Error) => e instanceof WorkloadError && /No such process/.test(e.message));
});

test('ftrace function tracer output (kernel docs): every entry counted once per function', () => {
  const c = count(fixture('ftrace-function-docs.txt'));
  assert.is(c.entries, 8);
  assert.is(c.lost, 0);
  assert.is(c.interruptEntries, 0);
  assert.equal([...c.functions].sort(), ['__fsnotify_parent', '__mutex_unlock_slowpath', '__srcu_read_lock', '__srcu_read_unlock', 'add_preempt_count', 'fsnotify', 'mutex_unlock', 'sub_preempt_count']);
  assert.equal(parseFtraceLine('              bash-1994  [002] ...1  3082.063032: sub_preempt_count <-__srcu_read_lock'), {
    task: 'bash', pid: 1994, cpu: 2, flags: '...1', func: 'sub_preempt_count', parent: '__srcu_read_lock',
  });
});

test('ftrace without irq-info flags (set_ftrace_pid example in the kernel docs): counted, and flagged as unknown context', () => {
  const c = count(fixture('ftrace-set-ftrace-pid-docs.txt'));
  assert.is(c.entries, 5);
  assert.is(c.unflagged, 5);
  assert.is(c.functions.size, 5);
  assert.is(parseFtraceLine('    yum-updatesd-3111  [003]  1701.957688: free_poll_entry <-poll_freewait')?.task, 'yum-updatesd');
});

test("this kernel's trace lines: 5-character flags, and hardirq/softirq context read from the third one", () => {
  const lines = fixture('ftrace-events-this-host.txt').split('\n');
  const prefixes = lines.map(parseFtracePrefix).filter((p) => p !== undefined);
  assert.is(prefixes.length, lines.filter((l) => l.trim() && !l.startsWith('#')).length, 'every non-header line parses');
  for (const p of prefixes) assert.is(p!.flags?.length, 5);
  const irq = prefixes.filter((p) => /^(irq_handler_entry|softirq_entry):/.test(p!.rest));
  assert.is(irq.length, 16);
  for (const p of irq) assert.ok(inInterruptContext(p!.flags), `${p!.flags} ${p!.rest}`);
  const switches = prefixes.filter((p) => p!.rest.startsWith('sched_switch:'));
  assert.ok(switches.length > 0);
  for (const p of switches) assert.not.ok(inInterruptContext(p!.flags), p!.flags);
  // event lines are not function-tracer lines, so nothing of them is counted as a function
  assert.is(count(fixture('ftrace-events-this-host.txt')).functions.size, 0);
});

test('ftrace: interrupt-context entries left out, overwritten entries reported', () => {
  const c = count([
    '# entries-in-buffer/entries-written: 3/25   #P:2',
    '              sh-10  [001] d.h1.  10.000001: handle_irq_event <-handle_edge_irq',
    '              sh-10  [001] ..s1.  10.000002: run_timer_softirq <-handle_softirqs',
    '              sh-10  [001] .....  10.000003: vfs_write <-ksys_write',
  ].join('\n'));
  assert.equal([...c.functions], ['vfs_write']);
  assert.is(c.interruptEntries, 2);
  assert.is(c.lost, 22);
});

test('tracefs mount point from /proc/mounts', () => {
  assert.is(tracefsMountPoint('proc /proc proc rw 0 0\nnodev /sys/kernel/tracing tracefs rw,relatime 0 0\n'), '/sys/kernel/tracing');
  assert.is(tracefsMountPoint('proc /proc proc rw 0 0\n'), undefined);
});

test('a platform without host PIDs cannot be profiled: a WorkloadError before anything runs', async () => {
  const instance = { exec: async () => { throw new Error('not expected'); }, stop: async () => {} } as unknown as Instance;
  try {
    await hap.run(instance, { method: 'perf', durationS: 1, attachS: 2, perfFrequencyHz: 99, ftraceBufferKb: 1024, sysbenchThreads: 1, fileMiB: 1 }, { cpus: 1, hostChanges: testHost });
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof WorkloadError, String(e));
    assert.match((e as Error).message, /Instance\.hostPids/);
  }
});

test('registered; two metrics, the method among them', () => {
  assert.is(workloadById('hap'), hap);
  assert.equal(hap.metrics.map((m) => [m.name, m.better]), [['functions', 'lower'], ['method_exact', 'higher']]);
  assert.match(hap.description, /sampled with perf/);
});

test.run();
