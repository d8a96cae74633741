// Firecracker's --config-file JSON, generated as plain data and validated against the API schema Firecracker publishes (data/firecracker/).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import AjvModule, { type ErrorObject } from 'ajv';
import YAML from 'yaml';
import { paths } from '../paths.ts';

const Ajv = (AjvModule as unknown as { default: typeof AjvModule }).default ?? AjvModule;

/** Schema versions stored in data/firecracker/v<version>/firecracker.yaml, oldest first (0.21.1, the paper's, only to explain its refusal). */
export const FIRECRACKER_SCHEMAS = ['0.21.1', '1.8.0', '1.16.1'];
/** The oldest Firecracker isobench drives: the first with ACPI, through which the Debian cloud kernel finds virtio-mmio devices. */
export const FIRECRACKER_MIN_VERSION = '1.8.0';
/** The first version not driven: 2.0 removes MPTable boot and may change the config file (CHANGELOG, 1.8.0 "Deprecated"). */
export const FIRECRACKER_BELOW_VERSION = '2.0.0';

/** -1, 0, 1 for dotted numeric versions ('1.16.1' vs '1.8.0'); suffixes after the numbers are ignored. */
export function compareVersions(a: string, b: string): number {
  const nums = (v: string) => (/^v?(\d+(?:\.\d+)*)/.exec(v)?.[1] ?? '0').split('.').map(Number);
  const x = nums(a);
  const y = nums(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}

export interface FirecrackerInput {
  /** uncompressed ELF kernel (vmlinux) */
  kernel: string;
  initrd?: string;
  bootArgs: string;
  /** the read-only ext4 root disk, mounted by the stage-1 initrd (so not Firecracker's is_root_device, which would add root= and conflict with the initrd) */
  rootDisk?: string;
  /** the data disk: the next virtio-blk after the root disk */
  dataDisk?: string;
  cpus: number;
  memoryMiB: number;
  smt?: boolean;
  driveCache?: 'Unsafe' | 'Writeback';
  ioEngine?: 'Sync' | 'Async';
  tap?: { name: string; mac: string };
  vsock?: { cid: number; udsPath: string };
  logPath?: string;
}

/** The configuration object (keys as Firecracker's VmmConfig spells them). */
export function firecrackerConfig(i: FirecrackerInput): Record<string, unknown> {
  const drives: Record<string, unknown>[] = [];
  if (i.rootDisk) drives.push({ drive_id: 'rootfs', path_on_host: i.rootDisk, is_root_device: false, is_read_only: true });
  if (i.dataDisk) {
    drives.push({
      drive_id: 'data', path_on_host: i.dataDisk, is_root_device: false, is_read_only: false,
      cache_type: i.driveCache ?? 'Unsafe', io_engine: i.ioEngine ?? 'Sync',
    });
  }
  const config: Record<string, unknown> = {
    'boot-source': { kernel_image_path: i.kernel, boot_args: i.bootArgs, ...(i.initrd ? { initrd_path: i.initrd } : {}) },
    drives,
    'machine-config': { vcpu_count: i.cpus, mem_size_mib: i.memoryMiB, smt: i.smt ?? false },
  };
  if (i.tap) config['network-interfaces'] = [{ iface_id: 'eth0', host_dev_name: i.tap.name, guest_mac: i.tap.mac }];
  if (i.vsock) config.vsock = { guest_cid: i.vsock.cid, uds_path: i.vsock.udsPath };
  if (i.logPath) config.logger = { log_path: i.logPath, level: 'Info', show_level: true, show_log_origin: false };
  return config;
}

/** Every object definition closed (Firecracker deserializes with deny_unknown_fields), so a misspelt key fails here too. */
function closeObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, closeObjects(s)])) : closeObjects(v);
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

export function firecrackerSchemaFile(version: string): string {
  return path.join(paths.root, 'data', 'firecracker', `v${version}`, 'firecracker.yaml');
}

/**
 * The config file's top-level keys where the swagger has no FullVmConfiguration (0.21.1): VmmConfig in that tag's
 * src/vmm/src/lib.rs maps each key to an API body.
 */
const VMM_CONFIG_KEYS: Record<string, { $ref?: string; type?: string; items?: { $ref: string } }> = {
  'boot-source': { $ref: '#/definitions/BootSource' },
  drives: { type: 'array', items: { $ref: '#/definitions/Drive' } },
  'network-interfaces': { type: 'array', items: { $ref: '#/definitions/NetworkInterface' } },
  logger: { $ref: '#/definitions/Logger' },
  'machine-config': { $ref: '#/definitions/MachineConfiguration' },
  vsock: { $ref: '#/definitions/Vsock' },
};

/** The JSON Schema of a --config-file for that version: FullVmConfiguration and the definitions it references. */
export function firecrackerConfigSchema(version: string): object {
  const file = firecrackerSchemaFile(version);
  const swagger = YAML.parse(readFileSync(file, 'utf8')) as { info?: { version?: string }; definitions: Record<string, unknown> };
  if (!swagger.definitions?.BootSource) throw new Error(`${file}: no definitions.BootSource (not Firecracker's swagger file?)`);
  if (swagger.info?.version !== version) throw new Error(`${file}: info.version is ${swagger.info?.version}, not ${version}`);
  const definitions = closeObjects({
    ...swagger.definitions,
    FullVmConfiguration: swagger.definitions.FullVmConfiguration ?? { type: 'object', properties: VMM_CONFIG_KEYS },
  }) as Record<string, Record<string, unknown>>;
  // the config file requires what the API requires at boot: a boot source and the drives list
  const full = { ...definitions.FullVmConfiguration, required: ['boot-source', 'drives'] };
  return { definitions: { ...definitions, FullVmConfiguration: full }, $ref: '#/definitions/FullVmConfiguration' };
}

/** The schema version to validate against: the installed Firecracker's when stored, else the newest stored one not newer than it. */
export function schemaVersionFor(installed?: string | null): { version: string; exact: boolean } {
  const v = installed?.replace(/^v/, '');
  if (v && FIRECRACKER_SCHEMAS.includes(v)) return { version: v, exact: true };
  const older = v ? FIRECRACKER_SCHEMAS.filter((s) => compareVersions(s, v) <= 0 && compareVersions(s, FIRECRACKER_MIN_VERSION) >= 0) : [];
  return { version: older[older.length - 1] ?? FIRECRACKER_SCHEMAS[FIRECRACKER_SCHEMAS.length - 1], exact: false };
}

/** How the schema was chosen, for environment.json: 'swagger v1.16.1 (the installed version's)'. */
export function describeSchemaChoice(installed: string, s: { version: string; exact: boolean }): string {
  return s.exact
    ? `data/firecracker/v${s.version}/firecracker.yaml (the installed version's)`
    : `data/firecracker/v${s.version}/firecracker.yaml (newest stored not newer than the installed ${installed}; its own is not stored)`;
}

export type FirecrackerSupport = { ok: true; schema: { version: string; exact: boolean } } | { ok: false; reason: string };

/** Whether isobench can drive this Firecracker, and if not, why and what it would take. */
export function firecrackerSupport(installed: string, sample?: Record<string, unknown>, guest: 'linux' | 'osv' = 'linux'): FirecrackerSupport {
  const v = installed.replace(/^v/, '');
  const range = `isobench drives ${FIRECRACKER_MIN_VERSION} <= version < ${FIRECRACKER_BELOW_VERSION} (\`isobench setup --provision firecracker\` installs 1.16.1)`;
  if (compareVersions(v, FIRECRACKER_BELOW_VERSION) >= 0) {
    return { ok: false, reason: `Firecracker ${v} is newer than isobench knows (${range}): store its swagger in data/firecracker/v${v}/ and check its config-file changes first` };
  }
  if (compareVersions(v, FIRECRACKER_MIN_VERSION) >= 0) return { ok: true, schema: schemaVersionFor(v) };
  const why = [guest === 'linux'
    ? `Firecracker ${v} has no ACPI (added in 1.8.0), and the Debian cloud guest kernel finds virtio-mmio devices only through ACPI, so the guest would never see its disk or vsock`
    : `Firecracker ${v} is older than the oldest config schema isobench stores for it (1.8.0); OSv without ACPI would boot on it (OSv's own scripts/firecracker.py used 0.23.0), but its config is not checked`];
  if (sample && FIRECRACKER_SCHEMAS.includes(v)) {
    const problems = validateFirecrackerConfig(sample, v);
    if (problems.length) why.push(`its config file also differs (checked against data/firecracker/v${v}/firecracker.yaml: ${problems.join('; ')})`);
  }
  const need = compareVersions(v, '1.0.0') < 0
    ? 'a guest kernel that takes virtio-mmio devices from the kernel command line and boots from MPTable (CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES=y, CONFIG_X86_MPPARSE=y, built in), given as options.kernel, and a generator for that config dialect (ht_enabled, vsock_id; no cache_type, io_engine)'
    : 'a guest kernel that takes virtio-mmio devices from the kernel command line and boots from MPTable (CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES=y, CONFIG_X86_MPPARSE=y, built in), given as options.kernel';
  if (guest === 'osv') return { ok: false, reason: `${why.join('; ')}; ${range}` };
  return { ok: false, reason: `${why.join('; ')}. Running it would need ${need}; ${range}` };
}

const validators = new Map<string, (data: unknown) => boolean>();

function describe(e: ErrorObject): string {
  const at = e.instancePath ? e.instancePath.slice(1).replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.') : '(top level)';
  if (e.keyword === 'additionalProperties') return `${at}: unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`;
  if (e.keyword === 'required') return `${at}: missing required field '${(e.params as { missingProperty: string }).missingProperty}'`;
  if (e.keyword === 'enum') return `${at}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  return `${at}: ${e.message}`;
}

/** Problems with a config against Firecracker's schema plus the rules its docs state in words; [] when valid. */
export function validateFirecrackerConfig(config: Record<string, unknown>, version = FIRECRACKER_SCHEMAS[FIRECRACKER_SCHEMAS.length - 1]): string[] {
  let validate = validators.get(version);
  if (!validate) {
    const ajv = new (Ajv as any)({ allErrors: true, strict: false, validateFormats: false });
    validate = ajv.compile(firecrackerConfigSchema(version)) as (data: unknown) => boolean;
    validators.set(version, validate);
  }
  const problems: string[] = [];
  if (!validate(config)) {
    for (const e of ((validate as unknown as { errors: ErrorObject[] }).errors ?? [])) problems.push(describe(e));
  }
  const mc = config['machine-config'] as { vcpu_count?: number; smt?: boolean; ht_enabled?: boolean } | undefined;
  // vmm_config/machine_config.rs: `smt && vcpu_count > 1 && vcpu_count % 2 == 1` is refused; without SMT any count is fine
  if ((mc?.smt || mc?.ht_enabled) && mc.vcpu_count !== undefined && mc.vcpu_count > 1 && mc.vcpu_count % 2 === 1) {
    problems.push(`machine-config.vcpu_count: ${mc.vcpu_count} is odd while SMT is on (Firecracker accepts only 1 or an even count with SMT)`);
  }
  const drives = (config.drives as { is_root_device?: boolean; drive_id?: string }[] | undefined) ?? [];
  if (drives.filter((d) => d.is_root_device).length > 1) problems.push('drives: more than one root device');
  const ids = drives.map((d) => d.drive_id);
  if (new Set(ids).size !== ids.length) problems.push('drives: drive_id values are not unique');
  const boot = config['boot-source'] as { initrd_path?: string } | undefined;
  if (boot?.initrd_path && drives.some((d) => d.is_root_device)) problems.push('drives: a root device and an initrd together (Firecracker docs: use one or the other)');
  return [...new Set(problems)];
}
