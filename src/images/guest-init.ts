// The guest side of a VM instance: the init (mounts, modules, data disk, network) and the agent that runs commands (serial-protocol.ts).
import type { CpioEntry } from './initramfs.ts';

/** Where isobench's own files sit in the guest, apart from the benchmark rootfs. */
export const GUEST_DIR = '/isobench';
export const GUEST_INIT = `${GUEST_DIR}/init`;
export const GUEST_AGENT = `${GUEST_DIR}/agent`;
export const GUEST_MODULE_DIR = `${GUEST_DIR}/modules`;
/** the vsock port the agent listens on when the VMM offers vsock instead of a second serial line */
export const AGENT_VSOCK_PORT = 5252;

/** What the init reads from the kernel command line; everything per-instance lives here, so one initramfs serves all instances. */
export interface GuestParams {
  /** the agent's channel: a tty device name (ttyS1, hvc0) ... */
  channel?: string;
  /** ... or a vsock port to listen on (needs socat in the image) */
  vsockPort?: number;
  /** block device holding the ext4 data disk, mounted at /data (vda) */
  dataDevice?: string;
  /** eth0's address as CIDR, and the default gateway */
  address?: string;
  gateway?: string;
  /** how the guest ends: 'reboot' where the VMM exits on reset (Firecracker), else 'poweroff' */
  halt?: 'poweroff' | 'reboot';
  /** block device of the read-only root disk, when booting from one (stage 1 mounts it and switches to it) */
  rootDevice?: string;
  /** a one-shot start: this /bin/sh script is the init's first act (output on the console), then the guest halts; no agent */
  oneShotScript?: string;
}

/** The init's one-shot parameters go in its environment (kernel parameters without a dot), readable before /proc is mounted. */
export const ONESHOT_ENV = 'isobench_run';
export const ONESHOT_HALT_ENV = 'isobench_halt';
/** what the init prints on the console after a one-shot command: its exit code */
export const ONESHOT_EXIT_MARK = '@@ISOBENCH-ONESHOT-EXIT';

/** The kernel command line for a guest: console, quiet boot, our init, and the parameters. */
export function guestCmdline(p: GuestParams, console = 'ttyS0', extra: string[] = []): string {
  const args = [`console=${console}`, 'loglevel=4', 'panic=-1', `rdinit=${p.rootDevice ? STAGE1_INIT : GUEST_INIT}`];
  if (p.rootDevice) args.push(`isobench.root=${p.rootDevice}`);
  if (p.channel) args.push(`isobench.chan=${p.channel}`);
  if (p.vsockPort) args.push(`isobench.vsock=${p.vsockPort}`);
  if (p.dataDevice) args.push(`isobench.data=${p.dataDevice}`);
  if (p.address) args.push(`isobench.ip=${p.address}`);
  if (p.gateway) args.push(`isobench.gw=${p.gateway}`);
  if (p.halt) args.push(`isobench.off=${p.halt}`);
  if (p.oneShotScript !== undefined) {
    args.push(`${ONESHOT_ENV}=${Buffer.from(p.oneShotScript).toString('base64')}`);
    if (p.halt) args.push(`${ONESHOT_HALT_ENV}=${p.halt}`);
  }
  for (const a of [...args, ...extra]) if (/\s/.test(a)) throw new Error(`kernel command line: '${a}' contains whitespace`);
  return [...args, ...extra].join(' ');
}

/** /isobench/init: busybox sh as PID 1. Applets not linked in the rootfs are called as `busybox <applet>`. */
export function guestInitScript(modules: string[]): string {
  return `#!/bin/sh
# isobench guest init (PID 1): mount, load virtio modules, mount the data disk, configure eth0, serve the agent, power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
if [ -n "$${ONESHOT_ENV}" ]; then
  # a one-shot start (startup): the command is the first act, its output on the console; then halt at once
  /bin/sh -c "$(printf '%s' "$${ONESHOT_ENV}" | busybox base64 -d)"
  printf '${ONESHOT_EXIT_MARK} %s@@\\n' "$?"
  if [ "$${ONESHOT_HALT_ENV}" = reboot ]; then busybox reboot -f; else busybox poweroff -f; fi
fi
say() { echo "isobench-init: $*"; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
for m in ${modules.join(' ')}; do
  [ -d /sys/module/$m ] || busybox insmod ${GUEST_MODULE_DIR}/$m.ko || say "insmod $m failed"
done
chan=ttyS1; vsock=; data=; ip=; gw=; off=poweroff
for a in $(cat /proc/cmdline); do
  case "$a" in
    isobench.chan=*) chan=\${a#*=} ;;
    isobench.vsock=*) vsock=\${a#*=} ;;
    isobench.data=*) data=\${a#*=} ;;
    isobench.ip=*) ip=\${a#*=} ;;
    isobench.gw=*) gw=\${a#*=} ;;
    isobench.off=*) off=\${a#*=} ;;
  esac
done
busybox hostname isobench
ip link set lo up
if [ -n "$data" ]; then
  i=0
  while [ ! -b "/dev/$data" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  mount -t ext4 -o noatime "/dev/$data" /data || say "cannot mount /dev/$data on /data"
fi
if [ -n "$ip" ]; then
  i=0
  while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  ip link set eth0 up && ip addr add "$ip" dev eth0 || say "cannot configure eth0 with $ip"
  [ -z "$gw" ] || ip route add default via "$gw" || say "cannot add route via $gw"
fi
say "ready (channel \${vsock:+vsock:}\${vsock:-$chan})"
if [ -n "$vsock" ]; then
  # one connection, no fork: socat ends with the agent (POWEROFF), so init goes on to power off
  socat VSOCK-LISTEN:"$vsock",reuseaddr EXEC:${GUEST_AGENT}
else
  # one open for the whole session: a tty's last close flushes its input, and the host may already be writing
  exec 3<> "/dev/$chan"
  busybox stty raw -echo clocal -hupcl <&3
  printf '@@ISOBENCH-READY @@\\n' >&3
  ${GUEST_AGENT} <&3 >&3
fi
sync
umount /data 2>/dev/null
if [ "$off" = reboot ]; then busybox reboot -f; else busybox poweroff -f; fi
`;
}

/** /isobench/agent: reads request lines on stdin, answers on stdout (the format is in src/platforms/serial-protocol.ts). */
export function guestAgentScript(): string {
  return `#!/bin/sh
# isobench guest agent: one request line at a time on stdin, base64 results between nonce markers on stdout.
run=/run/isobench
mkdir -p $run
section() {
  printf '@@ISOBENCH-%s %s %s %s@@\\n' "$1" "$nonce" "$(busybox wc -c < "$2")" "$(busybox sha256sum "$2" | busybox cut -d' ' -f1)"
  busybox base64 "$2"
}
while IFS= read -r line; do
  case "$line" in
    *@@ISOBENCH-PING\\ *)
      n=\${line##*@@ISOBENCH-PING }
      printf '@@ISOBENCH-READY %s@@\\n' "\${n%%@@*}" ;;
    *@@ISOBENCH-POWEROFF@@*)
      exit 0 ;;
    *@@ISOBENCH-RUN\\ *)
      req=\${line##*@@ISOBENCH-RUN }
      set -- \${req%%@@*}
      nonce=$1; t=$2
      printf '%s' "$3" | busybox base64 -d > $run/cmd
      start=$(busybox date +%s)
      if [ "$t" -gt 0 ]; then
        busybox timeout -s KILL "$t" /bin/sh $run/cmd > $run/out 2> $run/err < /dev/null
      else
        /bin/sh $run/cmd > $run/out 2> $run/err < /dev/null
      fi
      code=$?
      late=0
      if [ "$t" -gt 0 ] && [ $code -eq 137 ] && [ $(( $(busybox date +%s) - start )) -ge "$t" ]; then late=1; fi
      printf '@@ISOBENCH-BEGIN %s@@\\n' "$nonce"
      section STDOUT $run/out
      section STDERR $run/err
      printf '@@ISOBENCH-END %s %s %s@@\\n' "$nonce" "$code" "$late"
      rm -f $run/cmd $run/out $run/err ;;
  esac
done
`;
}

/** where the stage-1 initramfs (root disk boots) keeps its init */
export const STAGE1_INIT = '/init';

/**
 * Stage 1 for booting from the ext4 root disk: load the modules the disk needs, mount it read-only, switch to it and run
 * /isobench/init there. Only a static busybox and the modules are in this initramfs.
 */
export function stage1InitScript(modules: string[]): string {
  return `#!/bin/busybox sh
# isobench stage 1: virtio modules, then the read-only root disk, then /isobench/init on it.
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t devtmpfs devtmpfs /dev
for m in ${modules.join(' ')}; do
  $bb insmod ${GUEST_MODULE_DIR}/$m.ko || $bb echo "isobench-stage1: insmod $m failed"
done
root=vda
for a in $($bb cat /proc/cmdline); do
  case "$a" in isobench.root=*) root=\${a#*=} ;; esac
done
i=0
while [ ! -b "/dev/$root" ] && [ $i -lt 100 ]; do $bb sleep 0.1; i=$((i + 1)); done
if ! $bb mount -t ext4 -o ro,noatime "/dev/$root" /newroot; then
  $bb echo "isobench-stage1: cannot mount the root disk /dev/$root"
  $bb poweroff -f
fi
$bb umount /dev /proc
exec $bb switch_root /newroot ${GUEST_INIT}
`;
}

/** The stage-1 initramfs's entries: static busybox, the init, the modules. */
export function stage1Entries(busybox: string, modules: { name: string; file: string }[]): CpioEntry[] {
  return [
    ...['/bin', '/dev', '/proc', '/newroot', GUEST_DIR, GUEST_MODULE_DIR].map((d): CpioEntry => ({ path: d, kind: 'dir', mode: 0o755 })),
    { path: '/bin/busybox', kind: 'file', mode: 0o755, source: busybox },
    { path: STAGE1_INIT, kind: 'file', mode: 0o755, data: Buffer.from(stage1InitScript(modules.map((m) => m.name))) },
    ...modules.map((m): CpioEntry => ({ path: `${GUEST_MODULE_DIR}/${m.name}.ko`, kind: 'file', mode: 0o644, source: m.file })),
  ];
}

/** The files isobench adds to the rootfs for a VM guest. */
export function guestOverlay(modules: { name: string; file: string }[]): CpioEntry[] {
  return [
    { path: GUEST_DIR, kind: 'dir', mode: 0o755 },
    { path: GUEST_INIT, kind: 'file', mode: 0o755, data: Buffer.from(guestInitScript(modules.map((m) => m.name))) },
    { path: GUEST_AGENT, kind: 'file', mode: 0o755, data: Buffer.from(guestAgentScript()) },
    { path: GUEST_MODULE_DIR, kind: 'dir', mode: 0o755 },
    ...modules.map((m): CpioEntry => ({ path: `${GUEST_MODULE_DIR}/${m.name}.ko`, kind: 'file', mode: 0o644, source: m.file })),
  ];
}
