import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifyArtifact } from '../archive/verify.ts';
import { log } from '../log.ts';
import { loadRunClaims } from '../claims/load.ts';
import { analyzeRun, formatAnalysis } from '../stats/analyze.ts';
import { UsageError, type Command } from './command.ts';

/** Re-run the analysis on the archived raw samples, exactly as `isobench analyze` would. */
async function reanalyze(files: Map<string, Buffer>): Promise<Buffer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'isobench-verify-'));
  try {
    for (const [rel, data] of files) {
      const target = path.join(dir, rel);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, data);
    }
    // the claims that analysis evaluated, as archived beside it (older artifacts: the project's current file)
    const kept = files.get('claims.yaml');
    return Buffer.from(formatAnalysis(await analyzeRun(dir, { claims: kept ? loadRunClaims(kept.toString('utf8')) : undefined })));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const verify: Command = {
  name: 'verify',
  summary: 'Check an artifact: every hash in MANIFEST.sha256, its bytes against a canonical re-pack, then re-run the analysis from the raw samples and compare.',
  usage: 'isobench verify ARTIFACT.tar.gz',
  help: '  ARTIFACT             an artifact.tar.gz written by `isobench archive`\n\nExit 0 when everything matches; 1 with one line per problem, naming the file.',
  options: {},
  allowPositionals: true,
  async run(_values, positionals) {
    if (positionals.length !== 1) throw new UsageError("verify: give exactly one artifact file (see 'isobench verify --help')");
    const result = await verifyArtifact(positionals[0], reanalyze);
    if (result.ok) {
      log.info(`${positionals[0]}: every file matches its hash, and a fresh analysis equals the stored one`);
      process.stdout.write('ok\n');
      return 0;
    }
    for (const p of result.problems) process.stdout.write(`${p}\n`);
    log.error(`${positionals[0]}: ${result.problems.length} problem(s)`);
    return 1;
  },
};
