/**
 * A pipelined migration's bundle while its payloads still arrive: the target's restore starts once
 * the manifest, history and random states are there, and loads each copied group once its file is
 * complete (in plan order; runSteps.ts holds a load back until then). The store the restore reads
 * through counts an announced file as present, and fetches only complete ones; a late file's
 * integrity is checked by the agent's load against the manifest's checksum (a bad one is recomputed).
 */
import { statSync } from 'fs';
import path from 'path';
import type { IManifest } from '../bundle/manifest';
import { MigrationError } from '../migrate/migrationError';
import type { IArrivingPayloads } from '../migrate/runSteps';
import type { IBundleStore, IFetchResult, ITransferOptions } from '../storage/store';

/** How often a waited-for file is looked at, ms. */
const POLL_MS = 20;

/** Files of one transfer folder, some still arriving. */
export class ArrivingPayloads implements IArrivingPayloads {
  /**
   * @param folder - the transfer's folder.
   * @param announced - every announced file's size, by bundle-relative path.
   * @param stallMs - a wait fails when none of its files grew for this long (the source is gone).
   */
  constructor(
    private readonly folder: string,
    private readonly announced: Map<string, number>,
    private readonly stallMs: number
  ) {}

  /** Whether `file` was announced (it is there or on its way). */
  isAnnounced(file: string): boolean {
    return this.announced.has(file);
  }

  complete(file: string): boolean {
    const size = this.announced.get(file);
    return size !== undefined && this.received(file) === size;
  }

  async wait(files: string[], signal?: AbortSignal): Promise<void> {
    let total = -1;
    let since = Date.now();
    for (;;) {
      if (files.every(f => this.complete(f))) {
        return;
      }
      if (signal?.aborted) {
        throw new MigrationError('the restore was cancelled');
      }
      const now = files.reduce((sum, f) => sum + this.received(f), 0);
      if (now !== total) {
        total = now;
        since = Date.now();
      } else if (Date.now() - since > this.stallMs) {
        throw new MigrationError(`${files.join(', ')} stopped arriving: the source stopped sending`);
      }
      await new Promise(resolve => setTimeout(resolve, POLL_MS));
    }
  }

  /** `store` (the transfer folder's), reading payloads that may still be arriving. */
  store(store: IBundleStore): IBundleStore {
    const wrapped = Object.create(store) as IBundleStore;
    wrapped.missingFiles = async (manifest: IManifest) =>
      (await store.missingFiles(manifest)).filter(file => !this.isAnnounced(file));
    wrapped.fetch = (manifest: IManifest, files: string[], options?: ITransferOptions): Promise<IFetchResult> =>
      store.fetch(
        manifest,
        files.filter(file => this.complete(file)),
        options
      );
    return wrapped;
  }

  private received(file: string): number {
    try {
      return statSync(path.join(this.folder, ...file.split('/'))).size;
    } catch {
      return 0;
    }
  }
}
