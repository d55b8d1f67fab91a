import type { AddTargetRequest, Target } from '@elastic-notebook/protocol';
import { KernelScopedModel } from '../shared/kernelScopedModel';
import { ITargetsService, targetsService } from './targetsService';

/** The name of the built-in target (a new kernel on this machine). */
export const THIS_MACHINE = 'this machine';

/**
 * The targets a session can move to, with their machines, compared with the shown kernel's
 * session (its modules). Probing takes up to a few seconds, so it runs when the list is shown,
 * on `refresh()` and after an addition or removal; not on every kernel change while hidden.
 * `selected` is the target picked for the next migration.
 */
export class TargetsModel extends KernelScopedModel {
  constructor(private readonly service: ITargetsService = targetsService) {
    super();
  }

  /** The targets of the last listing (empty before the first). */
  get targets(): readonly Target[] {
    return this._targets;
  }

  /** The name of the picked target: kept while it is listed, else the first reachable one other than this machine, else null. */
  get selected(): string | null {
    return this._selected;
  }
  set selected(name: string | null) {
    if (name === this._selected) {
      return;
    }
    this._selected = name;
    this.emitChanged();
  }

  /** The picked target as last listed, if any. */
  get selectedTarget(): Target | null {
    return this._targets.find(t => t.name === this._selected) ?? null;
  }

  /** Why the last addition or removal failed, or null. */
  get editError(): string | null {
    return this._editError;
  }

  /** List (and probe) the targets now. Never rejects: a failure is kept in `error`. */
  refresh(): Promise<void> {
    const kernelId = this.kernel?.id ?? null;
    return this.fetchLatest(
      () => this.service.list(kernelId),
      targets => this._apply(targets),
      { failure: 'could not list the targets', ofKernel: false }
    );
  }

  /** Add a Jupyter server; resolves with whether it was added (the reason is in `editError`). */
  async add(request: AddTargetRequest): Promise<boolean> {
    return this._edit(async () => {
      const added = await this.service.add(request);
      this._apply([...this._targets.filter(t => t.name !== added.name), added]);
    });
  }

  /** Remove a target added from the panel. */
  async remove(name: string): Promise<boolean> {
    return this._edit(async () => {
      await this.service.remove(name);
      this._apply(this._targets.filter(t => t.name !== name));
    });
  }

  /** Another kernel: its modules are compared on the next listing, if the list is shown. */
  protected onKernelChanged(): void {
    if (this.visible) {
      void this.refresh();
    }
  }

  private async _edit(change: () => Promise<void>): Promise<boolean> {
    this._editError = null;
    this.emitChanged();
    try {
      await change();
      return true;
    } catch (reason) {
      this._editError = (reason as Error).message;
      this.emitChanged();
      return false;
    }
  }

  private _apply(targets: Target[]): void {
    this._targets = targets;
    if (!targets.some(t => t.name === this._selected)) {
      this._selected = targets.find(t => t.reachable && t.name !== THIS_MACHINE)?.name ?? null;
    }
    this.emitChanged();
  }

  private _targets: Target[] = [];
  private _selected: string | null = null;
  private _editError: string | null = null;
}
