/**
 * The names other code relies on: command ids and the insert-code event, a contract with the form's
 * views (they dispatch the event and fall back to the clipboard when nothing handles it).
 */

export namespace CommandIDs {
  /** A new notebook, in the file browser's folder, that shows an empty form. */
  export const newForm = 'model-import-widget:new-form';
  /** A new notebook beside the selected folder, with a form filled from that folder. */
  export const importFolder = 'model-import-widget:import-folder';
  /** A code cell holding `args.code` below the active cell. */
  export const insertCode = 'model-import-widget:insert-code';
}

/**
 * Dispatched by an element in a cell's output, `{bubbles: true, cancelable: true, composed: true}`, with
 * an `IInsertCodeDetail`. A front end that inserted the code cancels it (`preventDefault()`), so
 * `dispatchEvent` returns false there.
 */
export const INSERT_CODE_EVENT = 'model-import-widget:insert-code';

export interface IInsertCodeDetail {
  /** The source of the code cell to insert below the cell whose output dispatched the event. */
  code: string;
}

/** The launcher's and the command palette's category of the commands. */
export const CATEGORY = 'Model import';
