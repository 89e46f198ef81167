/**
 * New notebooks that show the import form: their free name, their one cell, and opening and running them.
 * Nothing here decides where a command appears (entry.ts and schema/entry-points.json do).
 */
import { PathExt } from '@jupyterlab/coreutils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { Contents } from '@jupyterlab/services';

/** The kernel the notebooks are made for: the form is Python. */
const KERNEL = { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' };
const BASE_NAME = 'import_model';

/**
 * A Python string literal of `text`, for any text: JSON's escapes (quotes, backslashes, control characters
 * as \n or \uXXXX) mean the same in Python, and non-ASCII letters stay readable. The line breaks JSON keeps
 * raw (U+0085, U+2028, U+2029) are escaped too, since Jupyter and IPython split a cell's lines on them.
 */
export function pythonString(text: string): string {
  return JSON.stringify(text).replace(
    /[\u0085\u2028\u2029]/g,
    c => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')
  );
}

/** The cell of a new form; with `folder` (relative to the notebook), a form filled from that folder. */
export function formCode(folder?: string): string {
  const form =
    folder === undefined
      ? 'ModelImportForm()'
      : `ModelImportForm.from_folder(${pythonString(folder)})`;
  return `from model_import_widget import ModelImportForm\n\nform = ${form}\nform`;
}

/** `import_model.ipynb`, else the first of `import_model-1.ipynb`, `import_model-2.ipynb`, … not in `taken`. */
export function freeNotebookName(taken: ReadonlySet<string>): string {
  for (let n = 0; ; n++) {
    const name = n === 0 ? `${BASE_NAME}.ipynb` : `${BASE_NAME}-${n}.ipynb`;
    if (!taken.has(name)) {
      return name;
    }
  }
}

/**
 * Writes a new notebook holding the one cell `code` into `folder` (a contents path, '' is the root) under
 * the first free name, opens it with the Python kernel and runs the cell. Returns the notebook's path.
 *
 * Creations are queued, so two quick clicks get two names; the folder is listed just before each write.
 */
export function createFormNotebook(
  contents: Contents.IManager,
  docManager: IDocumentManager,
  folder: string,
  code: string
): Promise<string> {
  const created = Private.queue.then(() => writeNotebook(contents, folder, code));
  Private.queue = created.catch(() => undefined);
  return created.then(async path => {
    await openAndRun(docManager, path);
    return path;
  });
}

async function writeNotebook(contents: Contents.IManager, folder: string, code: string): Promise<string> {
  const listing = await contents.get(folder, { type: 'directory', content: true });
  const taken = new Set<string>((listing.content as Contents.IModel[]).map(item => item.name));
  const path = PathExt.join(folder, freeNotebookName(taken));
  await contents.save(path, {
    type: 'notebook',
    format: 'json',
    content: {
      cells: [{ cell_type: 'code', source: code, metadata: {}, outputs: [], execution_count: null }],
      metadata: {
        kernelspec: KERNEL,
        language_info: { name: 'python' }
      },
      nbformat: 4,
      nbformat_minor: 5
    }
  });
  return path;
}

/**
 * Opens the notebook and runs its cells once its kernel is ready. In Notebook 7 a notebook opens in a
 * page of its own (the widget made here is disposed), so there it opens and waits for the Run button.
 */
async function openAndRun(docManager: IDocumentManager, path: string): Promise<void> {
  const widget = docManager.open(path, 'Notebook', { name: KERNEL.name });
  if (!(widget instanceof NotebookPanel)) {
    return;
  }
  const disposed = new Promise<void>(resolve => widget.disposed.connect(() => resolve()));
  await Promise.race([widget.sessionContext.ready, disposed]);
  if (widget.isDisposed || !widget.sessionContext.session?.kernel) {
    return;
  }
  await NotebookActions.runAll(widget.content, widget.sessionContext);
}

namespace Private {
  /** The last queued creation: the next one lists the folder after it has written its file. */
  export let queue: Promise<unknown> = Promise.resolve();
}
