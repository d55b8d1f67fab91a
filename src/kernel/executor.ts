import { Dialog, ISessionContext, showDialog } from '@jupyterlab/apputils';
import { Cell, CodeCell, ICodeCellModel, MarkdownCell } from '@jupyterlab/cells';
import { INotebookCellExecutor, INotebookModel, KernelError } from '@jupyterlab/notebook';
import { OutputArea } from '@jupyterlab/outputarea';
import { KernelMessage } from '@jupyterlab/services';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { startedKernel } from './startedKernel';
import { interceptHeader } from '@elastic-notebook/protocol';
import { IKernelBootstrapper } from '../tokens';

/** Cells of one notebook waiting to be sent to the kernel. */
interface ISendQueue {
  /** Settles when the last scheduled cell is done. */
  tail: Promise<void>;
  /** Tickets handed out so far. */
  scheduled: number;
  /** Cells with a ticket up to this one are dropped (an earlier cell failed while they waited). */
  abortedUpTo: number;
}

/**
 * A notebook cell executor that behaves like JupyterLab's default one, except that a code cell's
 * source reaches the kernel behind the hidden `%%intercept` line when the agent is loaded. The
 * cell model, which the user sees and saves, is never touched.
 */
export class InterceptingCellExecutor implements INotebookCellExecutor {
  constructor(private readonly bootstrapper: IKernelBootstrapper) {}

  async runCell(options: INotebookCellExecutor.IRunCellOptions): Promise<boolean> {
    const { cell, notebook, onCellExecuted, sessionContext } = options;
    const trans = (options.translator ?? nullTranslator).load('jupyterlab');
    if (cell.model.type === 'markdown') {
      (cell as MarkdownCell).rendered = true;
      cell.inputHidden = false;
      onCellExecuted({ cell, success: true });
      return true;
    }
    if (cell.model.type !== 'code') {
      return true;
    }
    if (!sessionContext) {
      cell.model.sharedModel.transact(() => (cell.model as ICodeCellModel).clearExecution(), false);
      return true;
    }
    // Cells of one notebook are handled one after the other, each from its request on: a run
    // requested while the kernel (or its agent) is still starting waits for it in its turn, and
    // when one fails, the cells scheduled behind it are not sent. The kernel's own stop-on-error
    // abort does the same, but only for requests it has already queued, which is a race
    // (ipykernel 7 lost it now and then, and "Run All" ran past an error).
    const queue = this._queueOf(notebook);
    const ticket = ++queue.scheduled;
    const previous = queue.tail;
    let release!: () => void;
    queue.tail = new Promise<void>(resolve => (release = resolve));
    const model = cell.model as ICodeCellModel;
    const waits = model.sharedModel.getSource().trim() !== '';
    if (waits) {
      model.executionState = 'running'; // "[*]" from the request on, as when the kernel queues it
    }
    this._pending.set(model, (this._pending.get(model) ?? 0) + 1);
    let failed = false;
    try {
      await previous;
      if (ticket > queue.abortedUpTo) {
        const outcome = await this._runInTurn(options, sessionContext, trans);
        failed = outcome.failed;
        return outcome.ran;
      }
      return false;
    } catch (reason) {
      failed = true;
      throw reason;
    } finally {
      if (failed) {
        queue.abortedUpTo = queue.scheduled; // everything scheduled so far, not what comes later
      }
      const pending = (this._pending.get(model) ?? 1) - 1;
      this._pending.set(model, pending);
      if (waits && pending === 0 && !cell.isDisposed && model.executionState === 'running') {
        model.executionState = 'idle'; // not sent after all (dropped behind a failure, or no kernel)
      }
      release();
    }
  }

  /** One code cell in its turn: JupyterLab's checks, then the execution. */
  private async _runInTurn(
    options: INotebookCellExecutor.IRunCellOptions,
    sessionContext: ISessionContext,
    trans: TranslationBundle
  ): Promise<{ ran: boolean; failed: boolean }> {
    const { cell, notebook, notebookConfig, onCellExecuted, onCellExecutionScheduled, sessionDialogs } = options;
    if (!sessionContext.isReady && !sessionContext.session?.kernel) {
      // The notebook has just opened and its session is not started yet.
      await startedKernel(sessionContext);
    }
    if (sessionContext.isTerminating) {
      await showDialog({
        title: trans.__('Kernel Terminating'),
        body: trans.__(
          'The kernel for %1 appears to be terminating. You can not run any cell for now.',
          sessionContext.session?.path
        ),
        buttons: [Dialog.okButton()]
      });
      return { ran: true, failed: false };
    }
    if (sessionContext.pendingInput) {
      await showDialog({
        title: trans.__('Cell not executed due to pending input'),
        body: trans.__(
          'The cell has not been executed to avoid kernel deadlock as there is another pending input! Type your input in the input box, press Enter and try again.'
        ),
        buttons: [Dialog.okButton()]
      });
      return { ran: false, failed: false };
    }
    if (sessionContext.hasNoKernel) {
      const shouldSelect = await sessionContext.startKernel();
      if (shouldSelect && sessionDialogs) {
        await sessionDialogs.selectKernel(sessionContext);
      }
    }
    if (sessionContext.hasNoKernel) {
      cell.model.sharedModel.transact(() => (cell.model as ICodeCellModel).clearExecution());
      return { ran: true, failed: false };
    }
    const deletedCells = notebook.deletedCells;
    onCellExecutionScheduled({ cell });
    let ran = false;
    try {
      const reply = await this._execute(cell as CodeCell, notebook, sessionContext, {
        deletedCells,
        recordTiming: notebookConfig.recordTiming
      });
      deletedCells.splice(0, deletedCells.length);
      if (cell.isDisposed) {
        ran = false;
      } else if (!reply) {
        ran = true;
      } else if (reply.content.status === 'ok') {
        const content = reply.content as KernelMessage.IExecuteReplyMsg['content'] & { payload?: any[] };
        if (content.payload && content.payload.length) {
          handlePayload(content.payload, notebook, cell);
        }
        ran = true;
      } else {
        throw new KernelError(reply.content);
      }
    } catch (reason) {
      if (cell.isDisposed || (reason as Error).message.startsWith('Canceled')) {
        return { ran: false, failed: true };
      }
      onCellExecuted({ cell, success: false, error: reason as KernelError });
      throw reason;
    }
    if (ran) {
      onCellExecuted({ cell, success: true });
    }
    return { ran, failed: false };
  }

  /** The send queue of a notebook. */
  private _queueOf(notebook: INotebookModel): ISendQueue {
    let queue = this._queues.get(notebook);
    if (!queue) {
      queue = { tail: Promise.resolve(), scheduled: 0, abortedUpTo: 0 };
      this._queues.set(notebook, queue);
    }
    return queue;
  }

  private readonly _queues = new WeakMap<INotebookModel, ISendQueue>();
  /** Runs requested and not yet ended, per cell (a cell can be run again while it waits). */
  private readonly _pending = new WeakMap<ICodeCellModel, number>();

  /** `CodeCell.execute`, with the code behind the intercept line when the agent records. */
  private async _execute(
    cell: CodeCell,
    notebook: INotebookModel,
    sessionContext: ISessionContext,
    metadata: { deletedCells: string[]; recordTiming: boolean }
  ): Promise<KernelMessage.IExecuteReplyMsg | void> {
    const model = cell.model;
    const source = model.sharedModel.getSource();
    // A kernel being started or changed is waited for; then its agent (below).
    const kernel = source.trim() ? (sessionContext.session?.kernel ?? (await startedKernel(sessionContext))) : null;
    if (!source.trim() || !kernel) {
      model.sharedModel.transact(() => model.clearExecution(), false);
      return;
    }
    const status = await this.bootstrapper.ready(kernel);
    const cellId = model.sharedModel.getId();
    let code = source;
    if (status.active) {
      const index = indexOfCell(notebook, model);
      code = interceptHeader(index, cellId) + source;
    }
    const fullMetadata = { ...model.metadata, ...metadata, cellId };
    const { recordTiming } = metadata;
    model.sharedModel.transact(
      () => {
        model.clearExecution();
        cell.outputHidden = false;
      },
      false,
      'silent-change'
    );
    model.executionState = 'running';
    model.trusted = true;
    let future: typeof cell.outputArea.future | undefined;
    try {
      const replyPromise = OutputArea.execute(code, cell.outputArea, sessionContext, fullMetadata);
      if (recordTiming) {
        cell.outputArea.future.registerMessageHook(msg => {
          let label: string;
          if (msg.header.msg_type === 'status') {
            label = `status.${(msg.content as KernelMessage.IStatusMsg['content']).execution_state}`;
          } else if (msg.header.msg_type === 'execute_input') {
            label = 'execute_input';
          } else {
            return true;
          }
          const timing = { ...(model.getMetadata('execution') as object) } as Record<string, string>;
          timing[`iopub.${label}`] = msg.header.date || new Date().toISOString();
          model.setMetadata('execution', timing);
          return true;
        });
      } else {
        model.deleteMetadata('execution');
      }
      future = cell.outputArea.future;
      const reply = (await replyPromise) as KernelMessage.IExecuteReplyMsg;
      model.executionCount = reply.content.execution_count;
      if (recordTiming) {
        const timing = { ...(model.getMetadata('execution') as object) } as Record<string, string>;
        const started = (reply.metadata as Record<string, string>).started;
        if (started) {
          timing['shell.execute_reply.started'] = started;
        }
        timing['shell.execute_reply'] = reply.header.date || new Date().toISOString();
        model.setMetadata('execution', timing);
      }
      if (status.active) {
        this.bootstrapper.notifyExecuted(kernel);
      }
      return reply;
    } catch (error) {
      if (future && !cell.isDisposed && cell.outputArea.future === future) {
        model.executionState = 'idle';
        if (recordTiming && future.isDisposed) {
          const timing = { ...(model.getMetadata('execution') as object) } as Record<string, string>;
          timing['execution_failed'] = new Date().toISOString();
          model.setMetadata('execution', timing);
        }
      }
      throw error;
    }
  }
}

function indexOfCell(notebook: INotebookModel, model: Cell['model']): number {
  for (let i = 0; i < notebook.cells.length; i++) {
    if (notebook.cells.get(i) === model) {
      return i;
    }
  }
  return -1;
}

/** The deprecated `set_next_input` payload, as the default executor handles it. */
function handlePayload(payload: any[], notebook: INotebookModel, cell: Cell): void {
  const next = payload.find(item => item.source === 'set_next_input');
  if (!next) {
    return;
  }
  if (next.replace) {
    cell.model.sharedModel.setSource(next.text);
    return;
  }
  const index = indexOfCell(notebook, cell.model);
  // Text from the kernel is not the user's: never mark it trusted.
  notebook.sharedModel.insertCell(index === -1 ? notebook.cells.length : index + 1, {
    cell_type: 'code',
    source: next.text,
    metadata: { trusted: false }
  });
}
