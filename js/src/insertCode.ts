/**
 * "Insert code below": a code cell added under a given cell, for the insert-code event an output
 * dispatches and for the insert-code command. It only inserts: running the code is the person's choice.
 */
import { CodeCell } from '@jupyterlab/cells';
import { INotebookTracker, Notebook } from '@jupyterlab/notebook';

import { IInsertCodeDetail, INSERT_CODE_EVENT } from './tokens';

/** Inserts a code cell with source `code` right after cell `index` and makes it the active cell. */
export function insertCodeBelow(notebook: Notebook, index: number, code: string): boolean {
  const model = notebook.model;
  if (!model || model.readOnly) {
    return false;
  }
  const below = index + 1;
  // Made on the person's request, with no output yet: trusted, as JupyterLab marks the cells it inserts.
  model.sharedModel.insertCell(below, { cell_type: 'code', source: code, metadata: { trusted: true } });
  notebook.activeCellIndex = below;
  notebook.deselectAll();
  // Focus leaves the output (e.g. the form's button): a focused element in a cell makes that cell the
  // active one again, and the new cell stays ready to run (Shift+Enter) or edit (Enter).
  notebook.mode = 'command';
  notebook.activate();
  void notebook.scrollToItem(below, 'smart').catch(() => undefined);
  return true;
}

/**
 * Handles the insert-code events of every notebook `tracker` knows (in JupyterLab and Notebook 7 pages
 * alike): the code goes below the cell whose output holds the event's target, and the event is cancelled
 * to tell the dispatcher it was handled. Events from anywhere else are left alone. Returns the remover.
 */
export function listenForInsertCode(tracker: INotebookTracker): () => void {
  const onInsertCode = (event: Event): void => {
    if (!(event instanceof CustomEvent) || event.defaultPrevented) {
      return;
    }
    const code = (event.detail as Partial<IInsertCodeDetail> | null)?.code;
    // At the document, a target inside a shadow root is its host, which is in the output area too.
    const target = event.target;
    if (typeof code !== 'string' || !(target instanceof Node)) {
      return;
    }
    const panel = tracker.find(panel => panel.content.node.contains(target));
    if (!panel) {
      return;
    }
    const notebook = panel.content;
    const index = notebook.widgets.findIndex(
      cell => cell instanceof CodeCell && cell.outputArea.node.contains(target)
    );
    if (index >= 0 && insertCodeBelow(notebook, index, code)) {
      event.preventDefault();
    }
  };
  document.addEventListener(INSERT_CODE_EVENT, onInsertCode);
  return () => document.removeEventListener(INSERT_CODE_EVENT, onInsertCode);
}
