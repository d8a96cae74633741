import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hostKind } from '../../src/report/host-kind.ts';
import { verdictCounts } from '../../src/report/claims-view.ts';
import type { ClaimEvaluation, ClaimVerdictKind } from '../../src/types.ts';

test("systemd-detect-virt's 'docker' means a container, not virtualisation; 'kvm' a virtual machine", () => {
  assert.equal(hostKind('docker'), { kind: 'container', words: 'runs inside a container (docker)' });
  assert.equal(hostKind('kvm'), { kind: 'virtual machine', words: 'itself virtualised (kvm)' });
  assert.is(hostKind(undefined), null);
  assert.is(hostKind('none'), null);
});

test('the headline counts reproduced, partly tested, not reproduced, inconclusive and not run separately', () => {
  const kinds: ClaimVerdictKind[] = ['reproduced', 'partly tested', 'partly tested', 'not reproduced', 'inconclusive', 'not run', 'not run', 'not run', 'caveat'];
  const claims = { verdicts: kinds.map((verdict, i) => ({ id: `c${i}`, verdict })) } as unknown as ClaimEvaluation;
  assert.equal(verdictCounts(claims).map((c) => [c.verdict, c.count]), [['reproduced', 1], ['partly tested', 2], ['not reproduced', 1], ['inconclusive', 1], ['not run', 3], ['caveat', 1]]);
});

test.run();
