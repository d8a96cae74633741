import { verifyArtifact } from '../archive/verify.ts';
import { UNPACK_LIMITS } from '../archive/unpack.ts';
import { log } from '../log.ts';
import { loadRunClaims } from '../claims/load.ts';
import { readClaimsCopy } from '../rundir/index.ts';
import { analyzeRun, formatAnalysis } from '../stats/analyze.ts';
import { UsageError, type Command } from './command.ts';

/** Re-run the analysis on the archived raw samples (unpacked in verify's private folder), exactly as `isobench analyze` would. */
async function reanalyze(runDir: string): Promise<Buffer> {
  // the claims that analysis evaluated, as archived beside it (older artifacts: the project's current file)
  const kept = readClaimsCopy(runDir);
  return Buffer.from(formatAnalysis(await analyzeRun(runDir, { claims: kept !== null ? loadRunClaims(kept) : undefined })));
}

const gib = (n: number) => `${n / 1024 ** 3} GiB`;

export const verify: Command = {
  name: 'verify',
  summary: 'Check an artifact: every hash in MANIFEST.sha256, its bytes against a canonical re-pack, then re-run the analysis from the raw samples and compare.',
  usage: 'isobench verify ARTIFACT.tar.gz',
  help: [
    '  ARTIFACT             an artifact.tar.gz written by `isobench archive` (it may come from anyone: it is not trusted)',
    '',
    'The artifact is unpacked once, streaming, into a fresh private temporary folder that is removed afterwards.',
    `Refused before anything is written (exit 2): entry names that are absolute, hold '..' or are not canonical; links,`,
    `devices and anything but files and folders; an entry stored twice; more than ${UNPACK_LIMITS.entries} entries; more than`,
    `${gib(UNPACK_LIMITS.bytes)} unpacked, or more than ${UNPACK_LIMITS.ratio} times the compressed size plus ${UNPACK_LIMITS.ratioAllowance / 1024 ** 2} MiB (a decompression bomb);`,
    'a truncated or unreadable archive. The analysis is re-run only when every hash and the canonical form checked out.',
    '',
    'Exit 0 when everything matches; 1 with one line per problem, naming the file; 2 when the artifact is refused.',
  ].join('\n'),
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
