// gVisor's netstack and file settings as runsc 20221219 defines its flags, and the guest network namespace's names and owners.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { paths } from '../../src/paths.ts';
import {
  gvisorNetwork, gvisorSettings, hiddenNetSysctlArgv, needsRootNetnsWorkaround, runscGlobalArgs, runscReleaseDate, withNetnsPath,
} from '../../src/platforms/gvisor.ts';
import { guestNetworkFor, ownerAlias, parseGuestVeths, parseOwnerAlias, SUBNETS } from '../../src/platforms/guest-netns.ts';
import { ociConfig } from '../../src/platforms/oci-bundle.ts';

const fixture = (...p: string[]) => readFileSync(path.join(paths.root, 'test', 'fixtures', ...p), 'utf8');
const flags = fixture('runsc', 'flags-debian-20221219.txt');

/** the values runsc's help text lists for a flag ("sandbox (default), host, none.") */
function listedValues(flag: string): string[] {
  const m = new RegExp(`\\n  -${flag} value\\n\\s*[^\\n]*?:\\s*([^\\n]*)`).exec(flags);
  assert.ok(m, `runsc 20221219 has no -${flag} flag`);
  return m[1].split(/[,.]/).map((s) => s.replace(/\(default\)/, '').trim()).filter((s) => /^[a-z]+$/.test(s));
}

test('every global flag isobench passes is one runsc 20221219 defines, with a value it lists', () => {
  const args = runscGlobalArgs({ root: '/t/root', platform: 'ptrace', network: 'sandbox', logFile: '/l/g.log' });
  for (const a of args) {
    const name = /^--([a-z0-9-]+)/.exec(a)![1];
    assert.ok(new RegExp(`\\n  -${name}[ \\n]`).test(flags), `runsc flags has no -${name}`);
  }
  const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))!.split('=')[1];
  assert.ok(listedValues('network').includes(value('network')), `network=${value('network')} not in ${listedValues('network')}`);
  assert.ok(listedValues('file-access').includes(value('file-access')));
  assert.ok(listedValues('file-access-mounts').includes(value('file-access-mounts')));
  assert.match(flags, /-overlay2 value\n[^\n]*'none' will turn overlay mode off/);
  assert.is(value('overlay2'), 'none');
});

test("options.network: sandbox, host and none; anything else names the fix", () => {
  assert.is(gvisorNetwork('gvisor-ptrace', { options: { network: 'sandbox' } }), 'sandbox');
  assert.is(gvisorNetwork('gvisor-ptrace', { options: {} }), 'none');
  assert.throws(() => gvisorNetwork('gvisor-ptrace', { options: { network: 'bridge' } }), /network 'bridge' is not supported \(options.network: 'none', 'host' or 'sandbox'\)/);
});

test('the root-netns workaround applies to releases before 2024-08 and to unknown ones', () => {
  assert.is(runscReleaseDate('0.0~20221219.0'), 20221219);
  assert.is(runscReleaseDate('release-20240729.0'), 20240729);
  assert.is(runscReleaseDate('0.0~20240729.0-1~bpo12+1'), 20240729);
  assert.is(runscReleaseDate('unknown'), undefined);
  assert.ok(needsRootNetnsWorkaround('0.0~20221219.0'));
  assert.ok(needsRootNetnsWorkaround('0.0~20240729.0'));
  assert.not.ok(needsRootNetnsWorkaround('release-20250101.0'));
  assert.ok(needsRootNetnsWorkaround(undefined));
});

test('runsc runs through unshare with /proc/sys/net hidden, and every value stays an argument, never shell syntax', () => {
  const argv = hiddenNetSysctlArgv(['/usr/bin/runsc', '--root=/t/$(reboot)', 'run', 'x;y']);
  assert.equal(argv.slice(0, 4), ['unshare', '--mount', '--propagation', 'private']);
  assert.is(argv[4], 'sh');
  assert.is(argv[5], '-c');
  assert.match(argv[6], /^mount -t tmpfs [^$]* \/proc\/sys\/net && exec "\$@"$/);
  assert.equal(argv.slice(8), ['/usr/bin/runsc', '--root=/t/$(reboot)', 'run', 'x;y']);
});

test('a netstack bundle joins the netns by path and keeps its other namespaces', () => {
  const base = ociConfig({ name: 'g1', rootfs: '/img', cpus: 1, memoryMiB: 512, hostCores: 2, network: 'none' });
  const c = withNetnsPath(base, '/var/run/netns/isobench-gn3');
  assert.equal(c.linux.namespaces.filter((n) => n.type === 'network'), [{ type: 'network', path: '/var/run/netns/isobench-gn3' }]);
  assert.equal(c.linux.namespaces.filter((n) => n.type !== 'network'), base.linux.namespaces.filter((n) => n.type !== 'network'));
  assert.not.ok(base.linux.namespaces.some((n) => n.path), 'the input is not modified');
});

test('settings say which stack ran: hostinet is labelled as not netstack; file access and overlay are recorded', () => {
  const host = gvisorSettings({ version: '0.0~20221219.0', platform: 'ptrace', network: 'host' });
  assert.match(host.network, /^host: hostinet.*not gVisor's netstack/);
  assert.equal([host.fileAccess, host.fileAccessMounts, host.overlay], ['exclusive', 'shared', 'none']);
  assert.match(host.dataMount, /O_DIRECT is not passed to the host file/);
  const g = guestNetworkFor(3);
  const sb = gvisorSettings({ version: 'release-20250101.0', platform: 'systrap', network: 'sandbox', guest: g, workaround: false });
  assert.match(sb.network, /^sandbox: gVisor's netstack on veth ibgn3g in netns isobench-gn3 \(guest 198\.19\.128\.14\/30\)$/);
  assert.match(sb.dataMount, /not verified for this release/);
});

test('guest subnets: /30s of 198.19.128.0/17, host .1 and guest .2, interface names within 15 characters', () => {
  const first = guestNetworkFor(0);
  assert.equal([first.hostAddress, first.guestAddress, first.netns, first.hostVeth, first.guestVeth], ['198.19.128.1', '198.19.128.2', 'isobench-gn0', 'ibgn0', 'ibgn0g']);
  const last = guestNetworkFor(SUBNETS - 1);
  assert.equal([last.hostAddress, last.guestAddress], ['198.19.255.253', '198.19.255.254']);
  assert.ok(last.guestVeth.length <= 15);
  assert.throws(() => guestNetworkFor(SUBNETS), /outside/);
  assert.throws(() => guestNetworkFor(-1), /outside/);
});

test('owners: the alias round-trips, and only isobench veths with an owner are listed from real ip -j output', () => {
  const o = { pid: 4242, start: 133790, instance: 'isobench-abc-0-4242' };
  assert.equal(parseOwnerAlias(ownerAlias(o)), o);
  assert.is(parseOwnerAlias('isobench-guest-netns pid=1 instance=x'), undefined);
  const veths = parseGuestVeths(fixture('netns', 'ip-link-show-guest-veth.json'));
  assert.equal(veths, [{ hostVeth: 'ibgn518', index: 518, owner: { pid: 25914, start: 133790, instance: 'isobench-fixture-0' } }]);
  assert.equal(parseGuestVeths('not json'), []);
});

test.run();
