// Firecracker's --config-file JSON, generated as plain data and validated against the API schema Firecracker publishes (data/firecracker/).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import AjvModule, { type ErrorObject } from 'ajv';
import YAML from 'yaml';
import { paths } from '../paths.ts';

const Ajv = (AjvModule as unknown as { default: typeof AjvModule }).default ?? AjvModule;

/** Schema versions stored in data/firecracker/v<version>/firecracker.yaml, newest last. */
export const FIRECRACKER_SCHEMAS = ['1.16.1'];

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

/** The JSON Schema of a --config-file for that version: FullVmConfiguration and the definitions it references. */
export function firecrackerConfigSchema(version: string): object {
  const file = firecrackerSchemaFile(version);
  const swagger = YAML.parse(readFileSync(file, 'utf8')) as { info?: { version?: string }; definitions: Record<string, unknown> };
  if (!swagger.definitions?.FullVmConfiguration) throw new Error(`${file}: no definitions.FullVmConfiguration (not Firecracker's swagger file?)`);
  const definitions = closeObjects(swagger.definitions) as Record<string, Record<string, unknown>>;
  // the config file requires what the API requires at boot: a boot source and the drives list
  const full = { ...definitions.FullVmConfiguration, required: ['boot-source', 'drives'] };
  return { definitions: { ...definitions, FullVmConfiguration: full }, $ref: '#/definitions/FullVmConfiguration' };
}

/** The schema version to validate against: the installed Firecracker's when stored, else the newest stored. */
export function schemaVersionFor(installed?: string | null): { version: string; exact: boolean } {
  const v = installed?.replace(/^v/, '');
  if (v && FIRECRACKER_SCHEMAS.includes(v)) return { version: v, exact: true };
  return { version: FIRECRACKER_SCHEMAS[FIRECRACKER_SCHEMAS.length - 1], exact: false };
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
  const mc = config['machine-config'] as { vcpu_count?: number } | undefined;
  if (mc?.vcpu_count !== undefined && mc.vcpu_count !== 1 && mc.vcpu_count % 2 !== 0) {
    problems.push(`machine-config.vcpu_count: ${mc.vcpu_count} is neither 1 nor even (Firecracker's rule)`);
  }
  const drives = (config.drives as { is_root_device?: boolean; drive_id?: string }[] | undefined) ?? [];
  if (drives.filter((d) => d.is_root_device).length > 1) problems.push('drives: more than one root device');
  const ids = drives.map((d) => d.drive_id);
  if (new Set(ids).size !== ids.length) problems.push('drives: drive_id values are not unique');
  const boot = config['boot-source'] as { initrd_path?: string } | undefined;
  if (boot?.initrd_path && drives.some((d) => d.is_root_device)) problems.push('drives: a root device and an initrd together (Firecracker docs: use one or the other)');
  return [...new Set(problems)];
}
