// How fast and how lean isobench refuses hostile input: an experiment file under 1 KB that would expand to a billion
// cells, and a gzip bomb given to verify (the child's max RSS, from /usr/bin/time).
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ExperimentError, loadExperiment } from '../src/experiment/load.ts';
import { paths } from '../src/paths.ts';
import { run, which } from '../src/proc.ts';
import { writeGzipBomb } from '../test/helpers/hostile.ts';

export async function measureHostile(tmp: string): Promise<string> {
  const out: string[] = [];
  const bomb = path.join(paths.root, 'test', 'fixtures', 'experiments', 'bad', '30-sweep-bomb.yaml');
  const times: number[] = [];
  let message = '';
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    try {
      loadExperiment(bomb);
    } catch (e) {
      if (!(e instanceof ExperimentError)) throw e;
      message = e.message;
    }
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  out.push(`  sweep bomb (${statSync(bomb).size} bytes, ${readFileSync(bomb, 'utf8').split('\n').length} lines): refused in ${times[2].toFixed(1)} ms median of 5 (goal < 1000 ms)`);
  out.push(`    ${path.basename(message.split(': ')[0])}: ${message.split(': ').slice(1).join(': ')}`);

  if (!which('/usr/bin/time')) {
    out.push('  gzip bomb: /usr/bin/time not installed (apt-get install time); not measured');
    return out.join('\n');
  }
  const artifact = path.join(tmp, 'bomb.tar.gz');
  await writeGzipBomb(artifact, 4 * 1024 ** 3);
  const r = await run(['/usr/bin/time', '-f', 'maxrss_kb=%M', process.execPath, path.join(paths.root, 'bin', 'isobench.mjs'), 'verify', artifact], { timeoutMs: 300_000 });
  const rss = Number(/maxrss_kb=(\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024;
  out.push(`  gzip bomb (${(statSync(artifact).size / 1024 ** 2).toFixed(1)} MB, 4 GiB unpacked): verify exit ${r.code} in ${r.ms.toFixed(0)} ms, max RSS ${rss.toFixed(0)} MB (goal < 200 MB)`);
  return out.join('\n');
}
