/** Helpers of the storage suites: temporary folders, checkpoints written the way the orchestrator does. */
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import os from 'os';
import path from 'path';
import type { IBundleStore } from '../../src/storage';
import { BundleError } from '../../src/bundle';
import type { ManifestInput } from '../../src/bundle';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const payloads = require('./fixtures/payloads.js') as {
  payloadContent(checkpointId: string, name: string, size: number): Buffer;
  sha256(buffer: Buffer): string;
  buildManifest(checkpointId: string, files: IWrittenPayload[], extra?: Record<string, unknown>): ManifestInput;
};

export const { payloadContent, sha256, buildManifest } = payloads;

/** A payload file written for a test checkpoint. */
export interface IWrittenPayload {
  name: string;
  bytes: number;
  checksum: string;
}

/** The usual payloads of a test checkpoint: two copied groups, history and random states. */
export const SMALL_FILES: { name: string; size: number }[] = [
  { name: 'g0.pkl', size: 3000 },
  { name: 'g1.pkl', size: 1200 },
  { name: 'history.jsonl', size: 200 },
  { name: 'random.pkl', size: 100 }
];

/** A fresh temporary folder; removed by `removeTemp`. */
export async function makeTemp(label: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `en-storage-${label}-`));
}

export async function removeTemp(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

/** Checkpoint ids with a given age, so that tests control what garbage collection considers stale. */
export function idAt(time: Date, suffix: string): string {
  return `${time.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z-${suffix}`;
}

/** Write the payload files of `checkpointId` into its staging folder, as the kernel agent would. */
export async function stagePayloads(
  store: IBundleStore,
  checkpointId: string,
  files: { name: string; size: number }[] = SMALL_FILES
): Promise<IWrittenPayload[]> {
  const dir = await store.stagingDir(checkpointId);
  const written: IWrittenPayload[] = [];
  for (const { name, size } of files) {
    const content = payloadContent(checkpointId, name, size);
    await fs.writeFile(path.join(dir, name), content);
    written.push({ name, bytes: size, checksum: sha256(content) });
  }
  return written;
}

/** A whole checkpoint: stage, publish, commit. Returns the manifest input and the commit result. */
export async function writeCheckpoint(
  store: IBundleStore,
  checkpointId: string,
  files: { name: string; size: number }[] = SMALL_FILES,
  extra: Record<string, unknown> = {}
): Promise<{ manifest: ManifestInput; commit: Awaited<ReturnType<IBundleStore['commit']>> }> {
  const written = await stagePayloads(store, checkpointId, files);
  await store.publish(
    checkpointId,
    written.map(f => `payloads/${checkpointId}/${f.name}`)
  );
  const manifest = buildManifest(checkpointId, written, extra);
  return { manifest, commit: await store.commit(manifest) };
}

/** sha256 of a local file, in the manifest's checksum form. */
export async function fileChecksum(file: string): Promise<string> {
  return `sha256:${createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex')}`;
}

/** Sorted entries of a folder ([] when it does not exist). */
export async function entries(dir: string): Promise<string[]> {
  return (await fs.readdir(dir).catch(() => [] as string[])).sort();
}

/** The rejection of `promise`, which must be a BundleError. */
export async function rejection(promise: Promise<unknown>): Promise<BundleError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    e => e
  );
  expect(err).toBeInstanceOf(BundleError);
  return err as BundleError;
}
