/** The local-folder store: staging in place, atomic commit, reads, garbage collection, listings. */
import { promises as fs } from 'fs';
import path from 'path';
import { newCheckpointId } from '../../src/bundle';
import { describeCheckpoint, listCheckpoints, LocalStore, openStore } from '../../src/storage';
import {
  buildManifest,
  entries,
  fileChecksum,
  idAt,
  makeTemp,
  rejection,
  removeTemp,
  SMALL_FILES,
  stagePayloads,
  writeCheckpoint
} from './helpers';

const HOUR = 60 * 60 * 1000;
let temp: string;
let bundle: string;

beforeEach(async () => {
  temp = await makeTemp('local');
  bundle = path.join(temp, 'bundle');
});

afterEach(async () => {
  await removeTemp(temp);
});

describe('writing a checkpoint', () => {
  it('stages payloads in their final folder and publishes them with progress', async () => {
    const store = openStore(bundle);
    expect(store).toBeInstanceOf(LocalStore);
    const id = newCheckpointId();
    const dir = await store.stagingDir(id);
    expect(dir).toBe(path.join(bundle, 'payloads', id));
    await stagePayloads(store, id);
    const progress: [number, number][] = [];
    const result = await store.publish(
      id,
      SMALL_FILES.map(f => `payloads/${id}/${f.name}`),
      { onProgress: (done, total) => progress.push([done, total]) }
    );
    const total = SMALL_FILES.reduce((s, f) => s + f.size, 0);
    expect(result.bytes).toBe(total);
    expect(result.ms).toBeGreaterThanOrEqual(0);
    expect(progress[progress.length - 1]).toEqual([total, total]);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i][0]).toBeGreaterThanOrEqual(progress[i - 1][0]);
    }
    // Nothing is a bundle before the commit.
    expect((await rejection(store.readManifest())).code).toBe('not-found');
  });

  it('refuses files of another checkpoint, missing files and a cancelled signal', async () => {
    const store = openStore(bundle);
    const id = newCheckpointId();
    await stagePayloads(store, id);
    const other = newCheckpointId(new Date(0));
    const outside = await rejection(store.publish(id, [`payloads/${other}/g0.pkl`]));
    expect(outside.code).toBe('invalid');
    expect(outside.message).toBe(
      `'payloads/${other}/g0.pkl' is not a payload of checkpoint ${id} (expected payloads/${id}/<file name>)`
    );
    const missing = await rejection(store.publish(id, [`payloads/${id}/g9.pkl`]));
    expect(missing.code).toBe('not-found');
    expect(missing.message).toBe(
      `payload payloads/${id}/g9.pkl is missing from ${bundle}; the kernel agent did not write it`
    );
    const controller = new AbortController();
    controller.abort();
    const cancelled = await rejection(store.publish(id, [`payloads/${id}/g0.pkl`], { signal: controller.signal }));
    expect(cancelled.code).toBe('cancelled');
    expect((await rejection(store.stagingDir('not-an-id'))).code).toBe('invalid');
  });

  it('commits atomically and reads the manifest back, unknown fields included', async () => {
    const store = openStore(bundle);
    const id = newCheckpointId();
    const { manifest, commit } = await writeCheckpoint(store, id, SMALL_FILES, { producer: 'test' });
    expect(commit).toEqual({ checkpointId: id, removed: [], kept: [], warnings: [] });
    const read = await store.readManifest();
    expect(read).toEqual({ ...manifest, marks: {} });
    expect(await entries(bundle)).toEqual(['manifest.json', 'payloads']);
    for (const group of read.groups.filter(g => g.file !== null)) {
      expect(await fileChecksum(path.join(bundle, group.file!))).toBe(group.checksum);
    }
    expect(await store.missingFiles(read)).toEqual([]);
  });

  it('refuses to commit an invalid manifest, or one whose payloads are missing or of another size', async () => {
    const store = openStore(bundle);
    const first = newCheckpointId(new Date(Date.now() - 1000));
    await writeCheckpoint(store, first);
    const id = newCheckpointId();
    const written = await stagePayloads(store, id);
    const good = buildManifest(id, written);

    const invalid = await rejection(store.commit({ ...good, createdAt: 'now' }));
    expect(invalid.code).toBe('invalid');
    expect(invalid.message).toBe(
      `manifest to commit to ${bundle}: manifest.json is invalid: createdAt: must be an ISO 8601 date-time`
    );

    await fs.rm(path.join(bundle, 'payloads', id, 'g1.pkl'));
    const missing = await rejection(store.commit(good));
    expect(missing.code).toBe('not-found');
    expect(missing.message).toBe(
      `cannot commit checkpoint ${id} to ${bundle}: payload payloads/${id}/g1.pkl is not in the store; publish it first`
    );

    await fs.writeFile(path.join(bundle, 'payloads', id, 'g1.pkl'), 'short');
    const size = await rejection(store.commit(good));
    expect(size.code).toBe('invalid');
    expect(size.message).toBe(
      `cannot commit checkpoint ${id} to ${bundle}: payload payloads/${id}/g1.pkl has 5 bytes in the store but the manifest says 1200`
    );
    // The previous checkpoint is untouched by the failed commits.
    expect((await store.readManifest()).checkpointId).toBe(first);
    expect(await store.missingFiles(await store.readManifest())).toEqual([]);
  });
});

describe('reading a bundle', () => {
  it('says precisely why there is no readable bundle', async () => {
    const store = openStore(bundle);
    let err = await rejection(store.readManifest());
    expect([err.code, err.message]).toEqual(['not-found', `no checkpoint at ${bundle}: the folder does not exist`]);
    await fs.mkdir(bundle);
    err = await rejection(store.readManifest());
    expect([err.code, err.message]).toEqual(['not-found', `no checkpoint at ${bundle}: it has no manifest.json`]);
    await fs.writeFile(path.join(bundle, 'manifest.json'), '{"format": "elastic-notebook-bundle", ');
    err = await rejection(store.readManifest());
    expect(err.code).toBe('corrupt');
    expect(err.message).toMatch(new RegExp(`^${bundle}: manifest.json is not valid JSON \\(`));
    await fs.writeFile(
      path.join(bundle, 'manifest.json'),
      JSON.stringify({ format: 'elastic-notebook-bundle', formatVersion: 1 })
    );
    err = await rejection(store.readManifest());
    expect([err.code, err.message]).toEqual([
      'corrupt',
      `${bundle}: manifest.json is invalid: checkpointId: missing (expected string) (and 10 more problems)`
    ]);
    await fs.writeFile(
      path.join(bundle, 'manifest.json'),
      JSON.stringify({ format: 'elastic-notebook-bundle', formatVersion: 7 })
    );
    err = await rejection(store.readManifest());
    expect([err.code, err.message]).toEqual([
      'newer-format',
      `${bundle}: bundle format version 7 is newer than this Elastic Notebook supports (1); upgrade Elastic Notebook to restore it`
    ]);
    const file = path.join(temp, 'a-file');
    await fs.writeFile(file, 'x');
    err = await rejection(openStore(file).readManifest());
    expect([err.code, err.message]).toEqual(['not-found', `no checkpoint at ${file}: it is a file, not a folder`]);
  });

  it('fetches in place: the bundle folder, with checked sizes', async () => {
    const store = openStore(bundle);
    const id = newCheckpointId();
    await writeCheckpoint(store, id);
    const manifest = await store.readManifest();
    const files = manifest.groups.filter(g => g.file !== null).map(g => g.file!);
    const progress: number[] = [];
    const fetched = await store.fetch(manifest, files, { onProgress: done => progress.push(done) });
    expect(fetched.dir).toBe(bundle);
    expect(fetched.bytes).toBe(3000 + 1200);
    expect(progress[progress.length - 1]).toBe(4200);
    expect(await fileChecksum(path.join(fetched.dir, files[0]))).toBe(manifest.groups[0].checksum);
    await fetched.cleanup();
    expect(await entries(path.join(bundle, 'payloads', id))).toHaveLength(4);

    await fs.writeFile(path.join(bundle, files[1]), 'damaged');
    let err = await rejection(store.fetch(manifest, files));
    expect([err.code, err.message]).toEqual([
      'corrupt',
      `payload ${files[1]} in ${bundle} has 7 bytes but the manifest says 1200; the bundle is damaged`
    ]);
    await fs.rm(path.join(bundle, files[1]));
    err = await rejection(store.fetch(manifest, files));
    expect(err.code).toBe('not-found');
    expect(err.message).toContain(`payload ${files[1]} is missing from ${bundle}`);
    expect(await store.missingFiles(manifest)).toEqual([files[1]]);
    expect((await rejection(store.fetch(manifest, ['manifest.json']))).code).toBe('invalid');
  });
});

describe('garbage collection', () => {
  it('removes the previous checkpoint payloads once the new manifest is committed', async () => {
    const store = openStore(bundle);
    const first = newCheckpointId(new Date(Date.now() - 2000));
    const second = newCheckpointId();
    await writeCheckpoint(store, first);
    const { commit } = await writeCheckpoint(store, second);
    expect(commit.removed).toEqual([first]);
    expect(await entries(path.join(bundle, 'payloads'))).toEqual([second]);
    expect((await store.readManifest()).checkpointId).toBe(second);
  });

  it('removes stale leftovers of crashed checkpoints, keeps recent ones and whatever is not a checkpoint', async () => {
    const store = openStore(bundle);
    const stale = idAt(new Date(Date.now() - 7 * HOUR), 'aaaaaaaa');
    const recent = idAt(new Date(Date.now() - HOUR), 'bbbbbbbb');
    for (const id of [stale, recent]) {
      await fs.mkdir(path.join(bundle, 'payloads', id), { recursive: true });
      await fs.writeFile(path.join(bundle, 'payloads', id, 'g0.pkl'), 'half');
    }
    await fs.mkdir(path.join(bundle, 'payloads', 'notes'));
    await fs.writeFile(path.join(bundle, `manifest.json.tmp-${stale}`), '{"half": ');
    const id = newCheckpointId();
    const { commit } = await writeCheckpoint(store, id);
    expect(commit.removed).toEqual([stale]);
    expect(commit.kept).toEqual([recent]);
    expect(await entries(path.join(bundle, 'payloads'))).toEqual([id, recent, 'notes'].sort());
    expect(await entries(bundle)).toEqual(['manifest.json', 'payloads']);

    // With no grace period, the recent leftover goes too.
    const next = newCheckpointId(new Date(Date.now() + 1000));
    const { commit: again } = await writeCheckpoint(openStore(bundle, { staleAfterMs: 0 }), next);
    expect(again.removed.sort()).toEqual([id, recent].sort());
    expect(await entries(path.join(bundle, 'payloads'))).toEqual([next, 'notes']);
  });

  it('never collects a checkpoint this process is still writing', async () => {
    const store = openStore(bundle, { staleAfterMs: 0 });
    const slow = idAt(new Date(Date.now() - 7 * HOUR), 'cccccccc');
    await stagePayloads(store, slow);
    // Another store object on the same bundle commits meanwhile.
    const { commit } = await writeCheckpoint(openStore(bundle, { staleAfterMs: 0 }), newCheckpointId());
    expect(commit.kept).toEqual([slow]);
    expect(await entries(path.join(bundle, 'payloads', slow))).toHaveLength(SMALL_FILES.length);
    // Once abandoned it is gone, and a later commit does not find it either.
    await store.abandon(slow);
    expect(await entries(path.join(bundle, 'payloads'))).not.toContain(slow);
  });

  it('abandoning keeps the payloads the current manifest refers to', async () => {
    const store = openStore(bundle);
    const id = newCheckpointId();
    await writeCheckpoint(store, id);
    await store.abandon(id);
    expect(await store.missingFiles(await store.readManifest())).toEqual([]);
  });
});

describe('deleting', () => {
  it('removes the manifest and payloads but not the user files beside them', async () => {
    const store = openStore(bundle);
    await writeCheckpoint(store, newCheckpointId());
    await fs.writeFile(path.join(bundle, 'README.txt'), 'mine');
    await store.delete();
    expect(await entries(bundle)).toEqual(['README.txt']);
    expect((await rejection(store.readManifest())).code).toBe('not-found');
    const err = await rejection(store.delete());
    expect([err.code, err.message]).toEqual(['not-found', `no checkpoint at ${bundle}: there is nothing to delete`]);
  });

  it('removes the folder when nothing else is in it', async () => {
    const store = openStore(bundle);
    await writeCheckpoint(store, newCheckpointId());
    await store.delete();
    expect(await entries(temp)).toEqual([]);
  });
});

describe('listing and describing', () => {
  it('lists the bundles under a root, newest first, unreadable ones with their error', async () => {
    const root = path.join(temp, 'root');
    const older = newCheckpointId(new Date('2026-01-02T03:04:05Z'));
    const newer = newCheckpointId(new Date('2026-05-06T07:08:09Z'));
    await writeCheckpoint(openStore(path.join(root, 'b-older')), older);
    await writeCheckpoint(openStore(path.join(root, 'a-newer')), newer);
    await fs.mkdir(path.join(root, 'corrupt'));
    await fs.writeFile(path.join(root, 'corrupt', 'manifest.json'), 'not json');
    await fs.mkdir(path.join(root, 'future'));
    await fs.writeFile(
      path.join(root, 'future', 'manifest.json'),
      JSON.stringify({ format: 'elastic-notebook-bundle', formatVersion: 3 })
    );
    await fs.mkdir(path.join(root, 'just-a-folder'));
    await fs.writeFile(path.join(root, 'notes.txt'), 'x');
    // Links: one to a bundle elsewhere (listed), one dangling (skipped).
    const elsewhere = newCheckpointId(new Date('2025-12-31T00:00:00Z'));
    await writeCheckpoint(openStore(path.join(temp, 'elsewhere')), elsewhere);
    await fs.symlink(path.join(temp, 'elsewhere'), path.join(root, 'linked'));
    await fs.symlink(path.join(temp, 'gone'), path.join(root, 'dangling'));

    const list = await listCheckpoints(root);
    expect(list.map(e => path.basename(e.uri))).toEqual(['a-newer', 'b-older', 'linked', 'corrupt', 'future']);
    expect(list[0]).toEqual({
      uri: path.join(root, 'a-newer'),
      error: null,
      checkpointId: newer,
      createdAt: '2026-05-06T07:08:09.000Z',
      formatVersion: 1,
      notebookPath: '/home/user/analysis.ipynb',
      kernelName: 'python3',
      bytes: SMALL_FILES.reduce((s, f) => s + f.size, 0),
      copiedVariables: 2,
      objective: 'balanced'
    });
    expect(list[2]).toMatchObject({ checkpointId: elsewhere, error: null });
    expect(list[3]).toMatchObject({ code: 'corrupt', formatVersion: null });
    expect(list[3].error).toContain(`${path.join(root, 'corrupt')}: manifest.json is not valid JSON`);
    expect(list[4]).toEqual({
      uri: path.join(root, 'future'),
      code: 'newer-format',
      formatVersion: 3,
      error: `${path.join(root, 'future')}: bundle format version 3 is newer than this Elastic Notebook supports (1); upgrade Elastic Notebook to restore it`
    });

    const err = await rejection(listCheckpoints(path.join(temp, 'nowhere')));
    expect([err.code, err.message]).toEqual(['not-found', `${path.join(temp, 'nowhere')} does not exist`]);
    expect(await listCheckpoints(path.join(root, 'just-a-folder'))).toEqual([]);
  });

  it('describes a checkpoint and reports missing payloads', async () => {
    const id = newCheckpointId();
    await writeCheckpoint(openStore(bundle), id);
    const relative = path.relative(process.cwd(), bundle);
    const description = await describeCheckpoint(relative);
    expect(description).toMatchObject({
      uri: bundle,
      checkpointId: id,
      copied: ['v0', 'v1'],
      recomputed: ['r'],
      rerun: [1],
      missingFiles: [],
      complete: true
    });
    expect(description.manifest.checkpointId).toBe(id);
    await fs.rm(path.join(bundle, 'payloads', id, 'random.pkl'));
    const damaged = await describeCheckpoint(bundle);
    expect(damaged.missingFiles).toEqual([`payloads/${id}/random.pkl`]);
    expect(damaged.complete).toBe(false);
    expect((await rejection(describeCheckpoint(path.join(temp, 'none')))).code).toBe('not-found');
  });
});
