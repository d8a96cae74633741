// What systemd-detect-virt's answer says about the host: a virtual machine, or a container (which is not virtualisation).

/** systemd-detect-virt's container identifiers (systemd.io/CONTAINER_INTERFACE, `systemd-detect-virt --list`) */
const CONTAINERS = new Set(['openvz', 'lxc', 'lxc-libvirt', 'systemd-nspawn', 'docker', 'podman', 'rkt', 'wsl', 'proot', 'pouch', 'container-other']);

export interface HostKind {
  kind: 'container' | 'virtual machine';
  /** for the host line: 'runs inside a container (docker)' or 'itself virtualised (kvm)' */
  words: string;
}

/** null when nothing was detected (taken as bare metal) */
export function hostKind(virtualization: string | undefined): HostKind | null {
  if (!virtualization || virtualization === 'none') return null;
  if (CONTAINERS.has(virtualization)) return { kind: 'container', words: `runs inside a container (${virtualization})` };
  return { kind: 'virtual machine', words: `itself virtualised (${virtualization})` };
}
