import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readCpio } from '../../src/images/initramfs.ts';
import { PROBE_MARKER, probeBoot, probeInitramfs } from '../../src/platforms/vm-probe.ts';
import { which } from '../../src/proc.ts';
import { skip } from '../helpers/skip.ts';
import { useTempData } from '../helpers/temp-data.ts';

useTempData(test, 'isobench-probe');

test('a VMM that prints the marker but runs until the timeout is not "booted", and that verdict is what gets cached', async () => {
  // what Cloud Hypervisor did with `reboot -f`: the guest printed the marker, then the VM rebooted until the timeout
  const argv = ['sh', '-c', `echo ${PROBE_MARKER}; exec sleep 30`];
  const r = await probeBoot('loop-test', argv, 1_500);
  assert.is(r.ok, false);
  assert.match(r.reason ?? '', /did not exit within 1.5 s/);
  const cached = await probeBoot('loop-test', ['true'], 1_500);
  assert.is(cached.ok, false, 'the cached verdict is the failure');
});

test('a VMM that prints the marker and exits is booted', async () => {
  const r = await probeBoot('exit-test', ['sh', '-c', `echo ${PROBE_MARKER}`], 5_000);
  assert.is(r.ok, true);
});

test('the probe guest halts the way its VMM exits: poweroff for Cloud Hypervisor (it reboots the VM on reset), reboot for Firecracker/QEMU', async () => {
  if (!which('busybox') && !which('/bin/busybox')) { skip('busybox not installed (apt-get install busybox-static)'); return; }
  const initOf = async (file: string) => readCpio(readFileSync(file)).find((e) => e.path.replace(/^\//, '') === 'init')!.data.toString();
  assert.match(await initOf(await probeInitramfs('poweroff')), /\/bin\/busybox poweroff -f\n$/);
  assert.match(await initOf(await probeInitramfs()), /\/bin\/busybox reboot -f\n$/);
});

test.run();
