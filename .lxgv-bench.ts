import { buildRootfs } from './src/images/rootfs.ts';
import { gvisorPtrace } from './src/platforms/gvisor.ts';
import { lxc } from './src/platforms/lxc.ts';
import { native } from './src/platforms/native.ts';
const fs = await buildRootfs(['sysbench']);
const res: Record<string, number[]> = { native: [], lxc: [], 'gvisor-ptrace': [] };
for (let round = 0; round < 3; round++) {
  for (const p of [native, lxc, gvisorPtrace]) {
    const i = await p.start({ name: `lxgv-bench-${round}`, cpus: 1, memoryMiB: 512, rootfs: fs.dir, rootfsHash: fs.hash, options: {}, logDir: '/tmp/lxgv-data/logs' });
    try {
      const r = await i.exec(['sysbench', 'cpu', '--cpu-max-prime=20000', '--threads=1', '--time=10', 'run'], { timeoutMs: 60000 });
      const eps = Number(/events per second:\s*([\d.]+)/.exec(r.stdout)?.[1]);
      res[p.id].push(eps);
    } finally { await i.stop(); }
  }
  console.log(JSON.stringify(res));
}
const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
for (const k of Object.keys(res)) console.log(k, mean(res[k]).toFixed(1), (100 * mean(res[k]) / mean(res.native)).toFixed(1) + '%');
