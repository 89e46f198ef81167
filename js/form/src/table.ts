/**
 * An editable table field (parameters, packages): rows added, removed and moved with real buttons, each cell
 * checked in the browser against its column's schema until the kernel has answered the table's last edit, then
 * showing the kernel's message for it (`cells` "row.column", rows from 0). Every edit sends the new list.
 */
import { checkValue, isBlank } from './check';
import { element, fillSelect, pickMessage, showMessage, uniqueId } from './dom';
import type { IColumn, IControl, IFieldHost, IFieldMessages, IFieldSpec } from './field';

type Row = Record<string, string>;
type CellControl = HTMLInputElement | HTMLSelectElement;

/** What a row's messages depend on besides its text; kept beside `rows`, moved and removed with them. */
interface IRowMark {
  /** The person changed a cell of the row: the errors of all its cells show (a version needs a restraint). */
  touched: boolean;
  /** The row came from the kernel (a prefill, code), not from an edit made here. */
  fromKernel: boolean;
}

export class TableControl implements IControl {
  readonly el = element('div', 'mi-table');
  private readonly caption: HTMLTableCaptionElement;
  private readonly headRow: HTMLTableRowElement;
  private readonly body: HTMLTableSectionElement;
  private readonly addButton: HTMLButtonElement;
  private readonly messageElement = element('div', 'mi-message');
  private rows: Row[] = [];
  private marks: IRowMark[] = [];
  /** The person changed the table (a cell, or added, moved or removed a row). */
  private edited = false;
  private messages: IFieldMessages = {};
  private disabled = false;
  private browserInvalid = false;

  constructor(readonly spec: IFieldSpec, private readonly host: IFieldHost) {
    this.el.dataset.field = spec.key;
    const table = element('table', 'mi-grid');
    this.messageElement.id = uniqueId('mi-message');
    this.messageElement.setAttribute('aria-live', 'polite');
    table.setAttribute('aria-describedby', this.messageElement.id);
    this.caption = table.createCaption();
    this.caption.className = 'mi-label';
    this.caption.textContent = spec.label || spec.key;
    if (spec.tooltip) {
      this.caption.title = spec.tooltip;
    }
    this.headRow = table.createTHead().insertRow();
    this.body = table.createTBody();
    for (const column of this.columns()) {
      const th = element('th', '', column.label ?? column.key);
      th.scope = 'col';
      th.dataset.key = column.key;
      if (column.tooltip) {
        th.title = column.tooltip;
      }
      this.headRow.appendChild(th);
    }
    const actions = element('th');
    actions.scope = 'col';
    actions.appendChild(element('span', 'mi-visually-hidden', this.words('actions', 'Row actions', 0)));
    this.headRow.appendChild(actions);
    this.addButton = element('button', 'mi-button mi-add', spec.add_label || 'Add row');
    this.addButton.type = 'button';
    this.addButton.addEventListener('click', () => this.addRow());
    this.el.append(table, this.addButton, this.messageElement);
  }

  get invalid(): boolean {
    return this.browserInvalid;
  }

  private columns(): IColumn[] {
    return (this.spec.columns ?? []).filter(column => column && column.key);
  }

  setValue(value: unknown): void {
    if (this.host.pending(this.spec.key)) {
      return;
    }
    const rows = Array.isArray(value) ? value.map(row => ({ ...(row as Row) })) : [];
    if (JSON.stringify(rows) !== JSON.stringify(this.rows)) {
      this.rows = rows;
      this.marks = rows.map(() => ({ touched: false, fromKernel: true }));
    }
    this.renderRows();
  }

  setMessages(messages: IFieldMessages): void {
    this.messages = messages ?? {};
    this.refresh();
  }

  setOptions(): void {
    /* a table's options live in its columns */
  }

  setDisabled(disabled: boolean): void {
    this.disabled = disabled;
    this.addButton.disabled = disabled;
    this.renderRows();
  }

  /** Brings the rows in line with the value, reusing row elements so focus and caret stay where they are. */
  private renderRows(): void {
    const columns = this.columns();
    while (this.body.rows.length > this.rows.length) {
      this.body.rows[this.body.rows.length - 1].remove();
    }
    while (this.body.rows.length < this.rows.length) {
      this.body.appendChild(this.createRow(columns));
    }
    this.rows.forEach((row, index) => {
      const tr = this.body.rows[index];
      tr.dataset.row = String(index);
      for (const control of this.cellControls(tr)) {
        const column = columns.find(c => c.key === control.dataset.key)!;
        const text = String(row?.[column.key] ?? '');
        if (control instanceof HTMLSelectElement) {
          fillSelect(control, column.options ?? [], text, column.option_labels ?? {});
        } else if (control.value !== text) {
          control.value = text;
        }
        control.setAttribute('aria-label', this.words('cell', '{column} in row {row}', index, column.label ?? column.key));
        control.disabled = this.disabled;
      }
      const [up, down, remove] = Array.from(tr.querySelectorAll<HTMLButtonElement>('.mi-row-actions button'));
      name(up, this.words('up', 'Move row {row} up', index), this.disabled || index === 0);
      name(down, this.words('down', 'Move row {row} down', index), this.disabled || index === this.rows.length - 1);
      name(remove, this.words('remove', 'Remove row {row}', index), this.disabled);
    });
    this.refresh();
  }

  private createRow(columns: IColumn[]): HTMLTableRowElement {
    const tr = document.createElement('tr');
    const rowMessageId = uniqueId('mi-row-message');
    for (const column of columns) {
      const td = tr.insertCell();
      const control: CellControl = column.kind === 'select' ? element('select') : element('input');
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
      const message = element('div', 'mi-message');
      message.id = uniqueId('mi-cell-message');
      control.setAttribute('aria-describedby', `${message.id} ${rowMessageId}`);
      control.addEventListener(control instanceof HTMLSelectElement ? 'change' : 'input', () =>
        this.editCell(tr, column.key, control.value)
      );
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
      const made = element('button', `mi-button mi-icon-button ${className}`);
      made.type = 'button';
      const icon = element('span', '', glyph);
      icon.setAttribute('aria-hidden', 'true');
      made.appendChild(icon);
      made.addEventListener('click', () => action(Number(tr.dataset.row)));
      actions.appendChild(made);
    }
    const rowMessage = element('div', 'mi-message mi-row-message');
    rowMessage.id = rowMessageId;
    actions.appendChild(rowMessage);
    return tr;
  }

  /** A button's or cell's name in the form's language (the kernel sends `row_words`), row numbered from 1. */
  private words(key: string, english: string, index: number, column = ''): string {
    const template = this.spec.row_words?.[key] || english;
    return template.replace('{row}', String(index + 1)).replace('{column}', column);
  }

  private cellControls(tr: HTMLTableRowElement): CellControl[] {
    return Array.from(tr.querySelectorAll<CellControl>('.mi-control'));
  }

  private commit(rows: Row[], marks: IRowMark[]): void {
    this.marks = marks;
    this.edited = true;
    if (JSON.stringify(rows) !== JSON.stringify(this.rows)) {
      this.rows = rows;
      this.host.edit(this.spec.key, rows.map(row => ({ ...row })));
    }
    this.renderRows();
  }

  private copiedMarks(): IRowMark[] {
    return this.rows.map((_, index) => ({ ...(this.marks[index] ?? { touched: false, fromKernel: false }) }));
  }

  private editCell(tr: HTMLTableRowElement, key: string, text: string): void {
    const index = Number(tr.dataset.row);
    const rows = this.rows.map(row => ({ ...row }));
    if (!rows[index]) {
      return;
    }
    rows[index][key] = text;
    const marks = this.copiedMarks();
    marks[index] = { touched: true, fromKernel: false };
    this.commit(rows, marks);
  }

  private addRow(): void {
    const row: Row = {};
    for (const column of this.columns()) {
      row[column.key] = column.default ?? '';
    }
    const marks = [...this.copiedMarks(), { touched: false, fromKernel: false }];
    this.commit([...this.rows.map(r => ({ ...r })), row], marks);
    const added = this.body.rows[this.body.rows.length - 1];
    (added?.querySelector<CellControl>('.mi-control') ?? this.addButton).focus();
  }

  private removeRow(index: number): void {
    const rows = this.rows.map(r => ({ ...r }));
    rows.splice(index, 1);
    const marks = this.copiedMarks();
    marks.splice(index, 1);
    this.commit(rows, marks);
    const next = this.body.rows[Math.min(index, rows.length - 1)];
    (next?.querySelector<HTMLButtonElement>('.mi-remove') ?? this.addButton).focus();
  }

  private moveRow(index: number, step: -1 | 1): void {
    const target = index + step;
    const rows = this.rows.map(r => ({ ...r }));
    if (target < 0 || target >= rows.length) {
      return;
    }
    [rows[index], rows[target]] = [rows[target], rows[index]];
    const marks = this.copiedMarks();
    [marks[index], marks[target]] = [marks[target], marks[index]];
    this.commit(rows, marks);
    const tr = this.body.rows[target];
    const same = tr.querySelector<HTMLButtonElement>(step < 0 ? '.mi-move-up' : '.mi-move-down')!;
    const other = tr.querySelector<HTMLButtonElement>(step < 0 ? '.mi-move-down' : '.mi-move-up')!;
    (same.disabled ? other : same).focus();
  }

  refresh(): void {
    const before = this.browserInvalid;
    const pending = this.host.pending(this.spec.key);
    const attempted = this.host.attempted();
    const cells = this.messages.cells ?? {};
    const columns = this.columns();
    let invalid = false;
    Array.from(this.body.rows).forEach((tr, index) => {
      // A row added here shows no error until the person types in it (or an import is tried); a row the
      // kernel put there (a folder's prefill) is not blank, so what is wrong with it shows at once.
      const mark = this.marks[index] ?? { touched: false, fromKernel: false };
      const rowRevealed = attempted || mark.touched || mark.fromKernel;
      for (const control of this.cellControls(tr)) {
        const column = columns.find(c => c.key === control.dataset.key);
        const text = control.value;
        const shown = pickMessage({
          browser: column ? checkValue(column.schema, text, column.key) : '',
          error: cells[`${index}.${control.dataset.key}`],
          pending,
          fromKernel: mark.fromKernel,
          reveal: rowRevealed || !isBlank(column?.schema, text)
        });
        invalid = invalid || shown.browserBlocks;
        showMessage(control.nextElementSibling as HTMLElement, control, shown);
      }
      const rowShown = pickMessage({ browser: '', error: cells[String(index)], pending, fromKernel: false,
                                     reveal: rowRevealed });
      showMessage(tr.querySelector<HTMLElement>('.mi-row-message')!, null, rowShown);
      tr.classList.toggle('mi-invalid', tr.querySelector('.mi-message[data-level="error"]') !== null);
    });
    showMessage(this.messageElement, null,
                pickMessage({ browser: '', error: this.messages.error, warning: this.messages.warning, pending,
                              fromKernel: false, reveal: attempted || this.edited || this.rows.length > 0 }));
    this.browserInvalid = invalid;
    if (before !== invalid) {
      this.host.checked();
    }
  }
}

function name(target: HTMLButtonElement, label: string, disabled: boolean): void {
  target.setAttribute('aria-label', label);
  target.title = label;
  target.disabled = disabled;
}
