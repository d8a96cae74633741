// crun called directly on an OCI bundle: the C OCI runtime behind Podman; on hybrid cgroup hosts it needs a host fix.
import { ensureHybridCgroupFix, hybridCgroupFixPlan } from './cgroup-hybrid-fix.ts';
import { ociRuntimePlatform } from './oci-runtime.ts';

export const crun = ociRuntimePlatform({
  id: 'crun',
  binary: 'crun',
  aptPackage: 'crun',
  description: 'crun (the C OCI runtime behind Podman) called directly on an OCI bundle, no daemon',
  prepare: (host) => ensureHybridCgroupFix('crun', host),
  async details() {
    const plan = await hybridCgroupFixPlan().catch(() => []);
    return plan.length ? { hostFix: `prepare() mounts ${plan.map((p) => `${p.controller} at ${p.dir}`).join(', ')} (cgroup v1)` } : undefined;
  },
});
