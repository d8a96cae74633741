// runc called directly on an OCI bundle: the reference OCI runtime that Docker uses, without the daemon.
import { ociRuntimePlatform } from './oci-runtime.ts';

export const runc = ociRuntimePlatform({
  id: 'runc',
  binary: 'runc',
  aptPackage: 'runc',
  description: 'runc (the OCI reference runtime behind Docker) called directly on an OCI bundle, no daemon',
});
