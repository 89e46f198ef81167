/**
 * The view of `TableWidget`: an editable table (parameters, packages) whose rows can be added, removed and
 * reordered with real buttons. Each cell is checked in the browser against its column's schema and shows
 * the kernel's message for it (`errors["row.key"]`, rows counted from 0). Every edit sends a new list.
 */
import { DOMWidgetModel, DOMWidgetView } from '@jupyter-widgets/base';

import { checkValue, ISchema } from './check';
import { commonDefaults, fillSelect, pickMessage, showMessage } from './field';
import { EditTracker, uniqueId } from './sync';

/** One column as the kernel describes it. */
export interface IColumn {
  key: string;
  label?: string;
  tooltip?: string;
  kind?: 'text' | 'select';
  options?: string[];
  schema?: ISchema;
  /** The text of this cell in a new row; '' when absent. */
  default?: string;
}

type Row = Record<string, string>;
type CellControl = HTMLInputElement | HTMLSelectElement;

export class TableModel extends DOMWidgetModel {
  defaults(): Record<string, unknown> {
    return {
      ...super.defaults(),
      ...commonDefaults('TableModel', 'TableView'),
      value: [],
      columns: [],
      errors: {},
      add_label: 'Add row'
    };
  }
}

export class TableView extends DOMWidgetView {
  private caption!: HTMLTableCaptionElement;
  private headRow!: HTMLTableRowElement;
  private body!: HTMLTableSectionElement;
  private addButton!: HTMLButtonElement;
  private messageElement!: HTMLDivElement;
  private readonly messageId = uniqueId('mi-message');
  private readonly edits = new EditTracker();
  /** Cells ("row.key") edited since the kernel last answered, and whether rows moved meanwhile. */
  private staleCells = new Set<string>();
  private rowsMoved = false;

  render(): void {
    this.el.classList.add('mi-table');

    const table = document.createElement('table');
    table.className = 'mi-grid';
    table.setAttribute('aria-describedby', this.messageId);
    this.caption = table.createCaption();
    this.caption.className = 'mi-label';
    this.headRow = table.createTHead().insertRow();
    this.body = table.createTBody();

    this.addButton = document.createElement('button');
    this.addButton.type = 'button';
    this.addButton.className = 'mi-button mi-add';
    this.addButton.addEventListener('click', () => this.addRow());

    this.messageElement = document.createElement('div');
    this.messageElement.className = 'mi-message';
    this.messageElement.id = this.messageId;
    this.messageElement.setAttribute('aria-live', 'polite');

    this.el.append(table, this.addButton, this.messageElement);

    this.updateLabel();
    this.renderColumns();

    this.listenTo(this.model, 'change:field', this.updateLabel);
    this.listenTo(this.model, 'change:label', this.updateLabel);
    this.listenTo(this.model, 'change:add_label change:disabled', this.updateAddButton);
    this.listenTo(this.model, 'change:columns', this.renderColumns);
    this.listenTo(this.model, 'change:value change:disabled', this.renderRows);
    this.listenTo(this.model, 'change:errors change:error change:warning', this.updateMessages);
  }

  updateTooltip(): void {
    if (this.caption) {
      this.updateLabel();
    }
  }

  private columns(): IColumn[] {
    return (this.model.get('columns') ?? []).filter((column: IColumn) => column && column.key);
  }

  private rows(): Row[] {
    return this.model.get('value') ?? [];
  }

  private updateLabel(): void {
    this.el.dataset.field = this.model.get('field');
    this.caption.textContent = this.model.get('label') ?? '';
    this.caption.hidden = !this.caption.textContent;
    const tooltip: string = this.model.get('tooltip') ?? '';
    if (tooltip) {
      this.caption.title = tooltip;
    } else {
      this.caption.removeAttribute('title');
    }
  }

  private updateAddButton(): void {
    this.addButton.textContent = this.model.get('add_label') || 'Add row';
    this.addButton.disabled = this.model.get('disabled');
  }

  private renderColumns(): void {
    this.headRow.replaceChildren();
    for (const column of this.columns()) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.dataset.key = column.key;
      th.textContent = column.label ?? column.key;
      if (column.tooltip) {
        th.title = column.tooltip;
      }
      this.headRow.appendChild(th);
    }
    const actions = document.createElement('th');
    actions.scope = 'col';
    const actionsName = document.createElement('span');
    actionsName.className = 'mi-visually-hidden';
    actionsName.textContent = 'Row actions';
    actions.appendChild(actionsName);
    this.headRow.appendChild(actions);

    this.body.replaceChildren();
    this.updateAddButton();
    this.renderRows();
  }

  /** Brings the rows in line with `value`, reusing row elements so focus and caret stay where they are. */
  private renderRows(): void {
    const rows = this.rows();
    const columns = this.columns();
    while (this.body.rows.length > rows.length) {
      this.body.rows[this.body.rows.length - 1].remove();
    }
    while (this.body.rows.length < rows.length) {
      this.body.appendChild(this.createRow(columns));
    }
    const disabled: boolean = this.model.get('disabled');
    rows.forEach((row, index) => {
      const tr = this.body.rows[index];
      tr.dataset.row = String(index);
      for (const control of this.cellControls(tr)) {
        const column = columns.find(c => c.key === control.dataset.key)!;
        const text = String(row?.[column.key] ?? '');
        if (control instanceof HTMLSelectElement) {
          fillSelect(control, column.options ?? [], text);
        } else if (control.value !== text) {
          control.value = text;
        }
        control.setAttribute('aria-label', `${column.label ?? column.key} in row ${index + 1}`);
        control.disabled = disabled;
      }
      const [up, down, remove] = Array.from(tr.querySelectorAll<HTMLButtonElement>('.mi-row-actions button'));
      this.nameButton(up, `Move row ${index + 1} up`, disabled || index === 0);
      this.nameButton(down, `Move row ${index + 1} down`, disabled || index === rows.length - 1);
      this.nameButton(remove, `Remove row ${index + 1}`, disabled);
    });
    this.updateMessages();
  }

  private nameButton(button: HTMLButtonElement, name: string, disabled: boolean): void {
    button.setAttribute('aria-label', name);
    button.title = name;
    button.disabled = disabled;
  }

  private createRow(columns: IColumn[]): HTMLTableRowElement {
    const tr = document.createElement('tr');
    const rowMessageId = uniqueId('mi-row-message');
    for (const column of columns) {
      const td = tr.insertCell();
      const control: CellControl =
        column.kind === 'select' ? document.createElement('select') : document.createElement('input');
      if (control instanceof HTMLInputElement) {
        control.type = 'text';
        control.autocomplete = 'off';
        control.spellcheck = false;
      }
      control.className = 'mi-control';
      control.dataset.key = column.key;
      if (column.schema?.required === true) {
        control.setAttribute('aria-required', 'true');
      }
      const message = document.createElement('div');
      message.className = 'mi-message';
      message.id = uniqueId('mi-cell-message');
      control.setAttribute('aria-describedby', `${message.id} ${rowMessageId}`);
      control.addEventListener(control instanceof HTMLSelectElement ? 'change' : 'input', () =>
        this.editCell(tr, column.key, control.value)
      );
      control.addEventListener('blur', () => {
        if (!control.dataset.touched) {
          control.dataset.touched = 'true';
          this.updateMessages();
        }
      });
      td.append(control, message);
    }
    const actions = tr.insertCell();
    actions.className = 'mi-row-actions';
    const buttons: Array<[string, string, (row: number) => void]> = [
      ['mi-move-up', '↑', row => this.moveRow(row, -1)],
      ['mi-move-down', '↓', row => this.moveRow(row, 1)],
      ['mi-remove', '✕', row => this.removeRow(row)]
    ];
    for (const [className, glyph, action] of buttons) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = `mi-button mi-icon-button ${className}`;
      const icon = document.createElement('span');
      icon.setAttribute('aria-hidden', 'true');
      icon.textContent = glyph;
      button.appendChild(icon);
      button.addEventListener('click', () => action(Number(tr.dataset.row)));
      actions.appendChild(button);
    }
    const rowMessage = document.createElement('div');
    rowMessage.className = 'mi-message mi-row-message';
    rowMessage.id = rowMessageId;
    actions.appendChild(rowMessage);
    return tr;
  }

  private cellControls(tr: HTMLTableRowElement): CellControl[] {
    return Array.from(tr.querySelectorAll<CellControl>('.mi-control'));
  }

  /** Sends a new list (never the same one mutated) so the kernel's observer fires. */
  private commit(rows: Row[]): void {
    if (JSON.stringify(rows) === JSON.stringify(this.rows())) {
      // An equal list is no change to the model: nothing is sent, so no answer would come.
      this.updateMessages();
      return;
    }
    this.model.set('value', rows, { updated_view: this });
    this.edits.save(this, () => {
      this.staleCells.clear();
      this.rowsMoved = false;
      this.updateMessages();
    });
    this.updateMessages();
  }

  private editCell(tr: HTMLTableRowElement, key: string, text: string): void {
    const index = Number(tr.dataset.row);
    const rows = this.rows().map(row => ({ ...row }));
    if (!rows[index]) {
      return;
    }
    rows[index][key] = text;
    tr.querySelector<CellControl>(`.mi-control[data-key="${CSS.escape(key)}"]`)!.dataset.touched = 'true';
    this.staleCells.add(`${index}.${key}`);
    this.commit(rows);
  }

  private addRow(): void {
    const row: Row = {};
    for (const column of this.columns()) {
      row[column.key] = column.default ?? '';
    }
    this.rowsMoved = true;
    this.commit([...this.rows().map(r => ({ ...r })), row]);
    const added = this.body.rows[this.body.rows.length - 1];
    (added?.querySelector<CellControl>('.mi-control') ?? this.addButton).focus();
  }

  private removeRow(index: number): void {
    const rows = this.rows().map(r => ({ ...r }));
    rows.splice(index, 1);
    this.rowsMoved = true;
    this.commit(rows);
    const next = this.body.rows[Math.min(index, rows.length - 1)];
    (next?.querySelector<HTMLButtonElement>('.mi-remove') ?? this.addButton).focus();
  }

  private moveRow(index: number, step: -1 | 1): void {
    const target = index + step;
    const rows = this.rows().map(r => ({ ...r }));
    if (target < 0 || target >= rows.length) {
      return;
    }
    [rows[index], rows[target]] = [rows[target], rows[index]];
    this.rowsMoved = true;
    this.commit(rows);
    // Focus follows the row that moved; at the top or bottom its other move button takes it.
    const tr = this.body.rows[target];
    const same = tr.querySelector<HTMLButtonElement>(step < 0 ? '.mi-move-up' : '.mi-move-down')!;
    const other = tr.querySelector<HTMLButtonElement>(step < 0 ? '.mi-move-down' : '.mi-move-up')!;
    (same.disabled ? other : same).focus();
  }

  private kernelMessage(key: string): string {
    const errors: Record<string, string> = this.model.get('errors') ?? {};
    if (this.edits.pending && (this.rowsMoved || this.staleCells.has(key))) {
      return '';
    }
    return errors[key] ?? '';
  }

  private updateMessages(): void {
    const columns = this.columns();
    Array.from(this.body.rows).forEach((tr, index) => {
      for (const control of this.cellControls(tr)) {
        const column = columns.find(c => c.key === control.dataset.key);
        const text = control.value;
        const browser =
          column && (control.dataset.touched || text.trim() !== '')
            ? checkValue(column.schema, text, column.key)
            : '';
        const key = `${index}.${control.dataset.key}`;
        showMessage(control.nextElementSibling as HTMLElement, control, pickMessage(browser, this.kernelMessage(key)));
      }
      const rowMessage = tr.querySelector<HTMLElement>('.mi-row-message')!;
      showMessage(rowMessage, null, pickMessage('', this.kernelMessage(String(index))));
      tr.classList.toggle('mi-invalid', tr.querySelector('.mi-message[data-level="error"]') !== null);
    });
    const tableError = this.edits.pending ? '' : (this.model.get('error') ?? '');
    showMessage(this.messageElement, null, pickMessage('', tableError, this.model.get('warning') ?? ''));
  }
}
