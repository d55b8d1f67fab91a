/**
 * The pipelined sender's announcements, against a fake target client (unit isolation): a file the
 * sender is already announcing when the whole bundle is announced is announced once, and only
 * before `announceQueued` resolves, so that nothing is announced after the restore began (the
 * target refuses that with a 409).
 */
import { promises as fs } from 'fs';
import os from 'os';
import path from 'path';
import { PipelinedSender } from '../../src/transfer/pipelinedSender';
import type { TargetClient } from '../../src/transfer/targetClient';

/** A target that records every request and holds the announcement of `heldFile` until released. */
class FakeTarget {
  readonly log: string[] = [];
  private readonly held: Array<() => void> = [];
  private holding = true;

  constructor(private readonly heldFile: string) {}

  get client(): TargetClient {
    return {
      json: (apiPath: string, init: { method?: string; json?: unknown }) => this.answer(apiPath, init)
    } as never;
  }

  /** Let every held announcement answer. */
  release(): void {
    this.holding = false;
    this.held.splice(0).forEach(go => go());
  }

  private async answer(apiPath: string, init: { method?: string; json?: unknown }): Promise<unknown> {
    const [route, query] = apiPath.split('?');
    if (route.endsWith('/files') && init.method === 'POST') {
      const files = (init.json as { files: Array<{ path: string }> }).files.map(f => f.path);
      this.log.push(`announce ${files.join(',')}`);
      if (this.holding && files.includes(this.heldFile)) {
        await new Promise<void>(resolve => this.held.push(resolve));
      }
      return { added: files };
    }
    if (route.endsWith('/files') && init.method === 'PUT') {
      const params = new URLSearchParams(query);
      this.log.push(`chunk ${params.get('path')}`);
      return { received: Number(params.get('offset')) + 1 };
    }
    if (init.method === undefined) {
      // Where a sender resumes: nothing received yet.
      return { files: [] };
    }
    throw new Error(`unexpected ${init.method} ${apiPath}`);
  }
}

let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'en-sender-'));
  for (const name of ['a.pkl', 'b.pkl']) {
    await fs.writeFile(path.join(dir, name), 'x');
  }
});

afterEach(() => fs.rm(dir, { recursive: true, force: true }));

test('a file being announced when the bundle is announced is announced once, before announceQueued resolves', async () => {
  const target = new FakeTarget('a.pkl');
  const failures: unknown[] = [];
  const sender = new PipelinedSender(target.client, 't1', {}, err => failures.push(err));
  // The sender takes a.pkl at once and announces it (the target holds that answer); b.pkl waits in
  // the queue and is announced by announceQueued, answered at once.
  sender.add({ path: 'a.pkl', source: path.join(dir, 'a.pkl') });
  sender.add({ path: 'b.pkl', source: path.join(dir, 'b.pkl') });
  let announcedAll = false;
  const announcing = sender.announceQueued().then(() => (announcedAll = true));
  await new Promise(resolve => setTimeout(resolve, 50));
  // a.pkl's own announcement is still unanswered: the bundle is not announced yet.
  expect(announcedAll).toBe(false);
  target.release();
  await announcing;
  target.log.push('restore');
  await sender.finish();

  expect(failures).toEqual([]);
  const announcements = target.log.filter(line => line.startsWith('announce'));
  expect(announcements.sort()).toEqual(['announce a.pkl', 'announce b.pkl']);
  // Nothing was announced after the restore began.
  expect(target.log.slice(target.log.indexOf('restore')).some(line => line.startsWith('announce'))).toBe(false);
  expect(target.log.filter(line => line.startsWith('chunk'))).toEqual(['chunk a.pkl', 'chunk b.pkl']);
});
