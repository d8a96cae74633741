// Start-up as the paper timed it: the console marker of VMs (recorded real consoles), the system container's end
// (recorded real LXC logs), the marker watch of the process runner, and one declared clock per platform.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { guestCmdline, guestInitScript, ONESHOT_ENV } from '../../src/images/guest-init.ts';
import { root } from '../../src/paths.ts';
import { platforms } from '../../src/platforms/index.ts';
import { LXC_STARTUP_CLOCKS, lxcConfig, lxcOneShotArgv, SYSTEM_INIT, systemInitEnd } from '../../src/platforms/lxc.ts';
import { commandScript, parseOneShotConsole } from '../../src/platforms/serial-protocol.ts';
import { oneShotGuest } from '../../src/platforms/vm-instance.ts';
import { lineWatcher, run } from '../../src/proc.ts';
import { startupClocksMarkdown } from '../../src/report/startup-clocks.ts';
import { parseStartup } from '../../src/workloads/startup.ts';

const fixture = (dir: string, f: string) => readFileSync(path.join(root, 'test', 'fixtures', dir, f), 'utf8');
const MARKER = 'isobench-ready';

// ---- the VM console (recorded from real qemu-tcg boots, see test/fixtures/startup/README.md) ----

test('pc console: the marker is the command\'s output, exit code 0, the kernel\'s power-down line left out', () => {
  assert.equal(parseOneShotConsole(fixture('startup', 'qemu-tcg-pc-echo.console')), { code: 0, output: `${MARKER}\n` });
});

test('microvm console: early lines come before the marker; kernel lines (time-stamped) are not output', () => {
  const c = parseOneShotConsole(fixture('startup', 'qemu-tcg-microvm-echo.console'));
  assert.is(c.code, 0);
  assert.equal(c.output.split('\n').filter(Boolean), ['Probing EDD (edd=off to disable)... ok', MARKER]);
});

test('a command the guest cannot run: its exit code and message come through the console', () => {
  const c = parseOneShotConsole(fixture('startup', 'qemu-tcg-pc-missing-command.console'));
  assert.is(c.code, 127);
  assert.match(c.output, /no-such-command: not found/);
});

test('a console cut before the exit line (the guest died): no exit code, the output so far', () => {
  const text = fixture('startup', 'qemu-tcg-pc-echo.console');
  const c = parseOneShotConsole(text.slice(0, text.indexOf('@@ISOBENCH-ONESHOT-EXIT')));
  assert.is(c.code, null);
  assert.is(c.output, `${MARKER}\n`);
});

test('output without a final newline runs into the exit line and is still output', () => {
  assert.equal(parseOneShotConsole('[    0.1] x\r\nabc@@ISOBENCH-ONESHOT-EXIT 3@@\r\n'), { code: 3, output: 'abc\n' });
});

// ---- the marker watch of the process runner ----

test('lineWatcher: a whole line equal to the marker, across chunks and \\r\\n, nothing else', () => {
  const feed = (chunks: string[]) => { const w = lineWatcher(MARKER); return chunks.map((c) => w(c)); };
  assert.equal(feed(['[ 1.0] boot\r\nisobench-', 'ready\r', '\nmore\n']), [false, false, true]);
  assert.equal(feed([`x${MARKER}\n`, `${MARKER}x\n`, `isobench-init: ready\n`]), [false, false, false]);
  // a long line that ends in the marker, delivered in pieces, is not the marker line
  assert.equal(feed(['a'.repeat(100), MARKER, '\n']), [false, false, false]);
  assert.equal(feed(['\n', MARKER]), [false, false]); // not a line until its newline arrives
});

test('run(markerLine): markerMs is when the marker line arrived, after the first byte; absent when it never came', async () => {
  const r = await run(['/bin/sh', '-c', `echo noise; sleep 1; echo ${MARKER}`], { timeoutMs: 10_000, markerLine: MARKER });
  assert.ok(r.firstOutputMs !== undefined && r.markerMs !== undefined);
  assert.ok(r.markerMs! > r.firstOutputMs!, `marker ${r.markerMs} ms, first byte ${r.firstOutputMs} ms`);
  const none = await run(['/bin/echo', 'other'], { timeoutMs: 10_000, markerLine: MARKER });
  assert.ok('markerMs' in none && none.markerMs === undefined);
  assert.ok(!('markerMs' in (await run(['/bin/true'], { timeoutMs: 10_000 }))));
});

test('parseStartup takes the marker\'s arrival where the platform gives it (a console with kernel lines first)', () => {
  const r = { stdout: `Probing EDD\n${MARKER}\n`, stderr: '', code: 0, ms: 2212, timedOut: false, hostArgv: ['qemu'], firstOutputMs: 800, markerMs: 2189 };
  assert.equal(parseStartup(r, MARKER), { firstOutputMs: 2189, exitMs: 2212 });
});

// ---- the guest's one-shot init ----

test('the one-shot command rides in the init\'s environment (no dot), base64 of the exec script, no whitespace', () => {
  const line = guestCmdline({ ...oneShotGuest(['/bin/echo', MARKER]), halt: 'reboot' }, 'ttyS0', ['reboot=k']);
  const arg = line.split(' ').find((a) => a.startsWith(`${ONESHOT_ENV}=`))!;
  assert.is(Buffer.from(arg.slice(ONESHOT_ENV.length + 1), 'base64').toString(), commandScript(['/bin/echo', MARKER]));
  assert.match(line, /isobench_halt=reboot/);
  assert.not.match(line, new RegExp(MARKER)); // so the kernel never echoes the marker itself
  assert.not.match(guestCmdline({ channel: 'ttyS1' }), /isobench_run/);
});

test('the init runs a one-shot command before it mounts anything, and halts right after', () => {
  const init = guestInitScript(['virtio_blk']);
  const oneShot = init.indexOf(`if [ -n "$${ONESHOT_ENV}" ]`);
  assert.ok(oneShot > 0 && oneShot < init.indexOf('mount -t proc'), 'the one-shot block comes first');
  const block = init.slice(oneShot, init.indexOf('fi\n', oneShot));
  assert.match(block, /busybox poweroff -f/);
  assert.match(block, /@@ISOBENCH-ONESHOT-EXIT %s@@\\n' "\$\?"/);
});

// ---- LXC: the system container (recorded real LXC 5.0.2 logs, test/fixtures/lxc/README.md) ----

test('systemInitEnd: a power-off ends the init with SIGINT; a failed command ends it with its status', () => {
  assert.equal(systemInitEnd(fixture('lxc', 'system-container-poweroff.log')), { poweredOff: true, code: null, detail: 'init ended on signal Interrupt(2)' });
  const failed = systemInitEnd(fixture('lxc', 'system-container-command-failed.log'));
  assert.equal(failed, { poweredOff: false, code: 127, detail: 'init ended on error (127)' });
  assert.is(systemInitEnd('').poweredOff, false);
});

test('lxc one-shot argv: lxc-start -F with the init, argv after it as data; lxc-execute for the other variant', () => {
  const tools = { 'lxc-start': '/usr/bin/lxc-start', 'lxc-execute': '/usr/bin/lxc-execute' };
  const c = { at: ['-n', 'c1', '-P', '/tmp/p'], configFile: '/tmp/p/c1/config', logFile: '/tmp/l.log' };
  const argv = ['/bin/echo', '$(reboot); `x`'];
  const sys = lxcOneShotArgv('system', tools, c, argv);
  assert.equal(sys.slice(0, 1), ['/usr/bin/lxc-start']);
  assert.equal(sys.slice(sys.indexOf('--') + 1), [...SYSTEM_INIT, ...argv]);
  assert.ok(sys.includes('-F') && sys[sys.indexOf('-l') + 1] === 'INFO');
  const exe = lxcOneShotArgv('execute', tools, c, argv);
  assert.equal([exe[0], ...exe.slice(exe.indexOf('--') + 1)], ['/usr/bin/lxc-execute', ...argv]);
  assert.throws(() => lxcOneShotArgv('system', tools, c, []), /needs a command/);
});

test('the system container\'s init: argv as "$@", then busybox poweroff -f only when it succeeded', () => {
  assert.equal(SYSTEM_INIT, ['/bin/sh', '-c', '"$@" && exec busybox poweroff -f', 'isobench-init']);
});

test('lxc config: no console pty only for the foreground one-shot start', () => {
  const base = { name: 'c1', rootfs: '/r', cpus: 1, memoryMiB: 512, hostCores: 2, network: 'host' as const, cgroup: 'v1' as const };
  assert.match(lxcConfig({ ...base, inheritStdio: true }), /^lxc\.console\.path = none$/m);
  assert.not.match(lxcConfig(base), /lxc\.console\.path/);
});

// ---- one definition per platform ----

test('every platform with a one-shot start declares what its clock measures', () => {
  for (const p of platforms.filter((x) => x.oneShot)) {
    const c = p.startupClock;
    assert.ok(c, `${p.id}: oneShot without startupClock`);
    for (const k of ['starts', 'firstOutput', 'exit', 'instance'] as const) assert.ok(c![k].length > 10, `${p.id}: startupClock.${k}`);
  }
  assert.ok(platforms.some((p) => p.id === 'lxc-execute'));
  assert.match(LXC_STARTUP_CLOCKS.system.instance, /system container/);
});

test('docs/STARTUP.md lists every platform\'s declared clock, as declared', () => {
  const doc = readFileSync(path.join(root, 'docs', 'STARTUP.md'), 'utf8');
  const begin = '<!-- startup-clocks:begin -->\n';
  const listed = doc.slice(doc.indexOf(begin) + begin.length, doc.indexOf('<!-- startup-clocks:end -->'));
  assert.fixture(listed, startupClocksMarkdown());
  for (const p of platforms.filter((x) => x.oneShot)) assert.match(listed, `### \`${p.id}\``);
});

test.run();
