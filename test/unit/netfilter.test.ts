import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { root } from '../../src/paths.ts';
import { netfilterCleanupArgv, parseIptablesSave, splitRule } from '../../src/platforms/netfilter.ts';

const fixture = (name: string) => readFileSync(path.join(root, 'test', 'fixtures', 'iptables', name), 'utf8');
const docker = { chainPrefix: 'DOCKER', bridge: 'docker0' };

test('a quoted comment stays one argument, ! stays its own', () => {
  assert.equal(splitRule('-A FORWARD -m comment --comment "netavark firewall plugin rules" -j NETAVARK_FORWARD'),
    ['-A', 'FORWARD', '-m', 'comment', '--comment', 'netavark firewall plugin rules', '-j', 'NETAVARK_FORWARD']);
  assert.equal(splitRule('-A FORWARD -i docker0 ! -o docker0 -j ACCEPT'), ['-A', 'FORWARD', '-i', 'docker0', '!', '-o', 'docker0', '-j', 'ACCEPT']);
});

test('parses tables, chains with policies and rules of a recorded ruleset', () => {
  const t = parseIptablesSave(fixture('dockerd-20.10-started.txt'));
  assert.equal(t.map((x) => x.name), ['filter', 'nat']);
  assert.equal(t[0].chains.find((c) => c.name === 'FORWARD'), { name: 'FORWARD', policy: 'DROP' });
  assert.is(t[0].rules.length, 11);
});

test('from an empty host: removes dockerd\'s jumps, then flushes and deletes its chains, then restores FORWARD to ACCEPT', () => {
  const argv = netfilterCleanupArgv([], parseIptablesSave(fixture('dockerd-20.10-started.txt')), docker);
  const text = argv.map((a) => a.join(' '));
  assert.equal(text.slice(0, 3), [
    'iptables -t filter -D FORWARD -j DOCKER-USER',
    'iptables -t filter -D FORWARD -j DOCKER-ISOLATION-STAGE-1',
    'iptables -t filter -D FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  ]);
  assert.ok(text.includes('iptables -t nat -D POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE'));
  const firstFlush = text.findIndex((l) => l.includes(' -F '));
  const firstDelete = text.findIndex((l) => l.includes(' -X '));
  assert.ok(text.slice(0, firstFlush).every((l) => l.includes(' -D ')), 'rules in built-in chains go first');
  assert.ok(firstFlush < firstDelete, 'chains are flushed before they are deleted');
  assert.equal(text.filter((l) => l.includes(' -X ')), [
    'iptables -t filter -X DOCKER', 'iptables -t filter -X DOCKER-ISOLATION-STAGE-1', 'iptables -t filter -X DOCKER-ISOLATION-STAGE-2',
    'iptables -t filter -X DOCKER-USER', 'iptables -t nat -X DOCKER',
  ]);
  assert.is(text[text.length - 1], 'iptables -t filter -P FORWARD ACCEPT');
});

test('what another tool (netavark) made is left alone, and so is what existed before', () => {
  const after = parseIptablesSave(fixture('dockerd-and-netavark.txt'));
  const text = netfilterCleanupArgv([], after, docker).map((a) => a.join(' '));
  assert.not.ok(text.some((l) => l.includes('NETAVARK')), text.join('\n'));
  // with dockerd's state already there before, there is nothing of its to remove but the policy stays as found
  assert.equal(netfilterCleanupArgv(after, after, docker), []);
});

test.run();
