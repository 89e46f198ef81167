/**
 * One field of the form: a label, one control (text, textarea, select, combo, checkbox) and the message under
 * it. Every keystroke is checked in the browser against the field's JSON schema (from the rule table) until the
 * kernel has answered the field's last edit; then the kernel's error, warning and hint are what shows.
 */
import { checkValue, isBlank, ISchema } from './check';
import { element, fillSelect, pickMessage, showMessage, uniqueId } from './dom';

export interface IColumn {
  key: string;
  label?: string;
  tooltip?: string;
  kind?: 'text' | 'select';
  options?: string[];
  option_labels?: Record<string, string>;
  schema?: ISchema;
  default?: string;
}

/** A field as the kernel describes it (`sections[].fields[]`). */
export interface IFieldSpec {
  key: string;
  kind: 'text' | 'textarea' | 'select' | 'combo' | 'checkbox' | 'table';
  label: string;
  tooltip?: string;
  required?: boolean;
  schema?: ISchema;
  options?: string[];
  option_labels?: Record<string, string>;
  placeholder?: string;
  columns?: IColumn[];
  add_label?: string;
  row_words?: Record<string, string>;
}

/** The kernel's messages for a field; `cells` for a table ("row.column", rows from 0; "row" for a row). */
export interface IFieldMessages {
  error?: string;
  warning?: string;
  hint?: string;
  cells?: Record<string, string>;
}

/** What a field needs from the form around it. */
export interface IFieldHost {
  /** The person changed the field's value: send it to the kernel. */
  edit(key: string, value: unknown): void;
  /** True while the kernel has not answered the field's last edit. */
  pending(key: string): boolean;
  /** An import was tried: every error shows, also on a field nobody has changed yet. */
  attempted(): boolean;
  /** A message shown by the browser's own check appeared or went. */
  checked(): void;
}

/** The common face of a field and a table. */
export interface IControl {
  readonly el: HTMLElement;
  readonly spec: IFieldSpec;
  setValue(value: unknown): void;
  setMessages(messages: IFieldMessages): void;
  setOptions(options: string[]): void;
  setDisabled(disabled: boolean): void;
  /** An error of the browser's own check is shown (Import waits until it is fixed). */
  readonly invalid: boolean;
  refresh(): void;
}

type Control = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

export class FieldControl implements IControl {
  readonly el = element('div', 'mi-field');
  private readonly labelElement = element('label', 'mi-label');
  private readonly messageElement = element('div', 'mi-message');
  private readonly control: Control;
  private datalist: HTMLDataListElement | null = null;
  private value = '';
  private messages: IFieldMessages = {};
  private options: string[];
  /** The person changed the text (not only visited the control): its errors show from then on. */
  private touched = false;
  /** The text on screen came from the kernel (prefill, code), not from an edit made here. */
  private fromKernel = true;
  private browserBlocks = false;

  constructor(readonly spec: IFieldSpec, private readonly host: IFieldHost) {
    const controlId = uniqueId('mi-control');
    const messageId = uniqueId('mi-message');
    this.el.dataset.field = spec.key;
    this.labelElement.htmlFor = controlId;
    this.labelElement.textContent = spec.label || spec.key;
    if (spec.tooltip) {
      this.labelElement.title = spec.tooltip;
    }
    this.messageElement.id = messageId;
    this.messageElement.setAttribute('aria-live', 'polite');
    this.options = spec.options ?? [];

    const kind = spec.kind;
    if (kind === 'textarea') {
      const area = element('textarea');
      area.rows = 3;
      this.control = area;
    } else if (kind === 'select') {
      this.control = element('select');
    } else {
      const input = element('input');
      input.type = kind === 'checkbox' ? 'checkbox' : 'text';
      if (kind === 'combo') {
        this.datalist = element('datalist');
        this.datalist.id = uniqueId('mi-options');
        input.setAttribute('list', this.datalist.id);
      }
      this.control = input;
    }
    const control = this.control;
    control.id = controlId;
    control.className = `mi-control mi-control-${kind === 'combo' ? 'text' : kind}`;
    control.setAttribute('aria-describedby', messageId);
    if (spec.required) {
      control.setAttribute('aria-required', 'true');
    }
    if (!(control instanceof HTMLSelectElement) && kind !== 'checkbox') {
      control.setAttribute('autocomplete', 'off');
      control.spellcheck = false;
      control.placeholder = spec.placeholder ?? '';
    }
    const event = control instanceof HTMLSelectElement || kind === 'checkbox' ? 'change' : 'input';
    control.addEventListener(event, () => this.onInput());
    this.el.append(this.labelElement, control);
    if (this.datalist) {
      this.el.append(this.datalist);
    }
    this.el.append(this.messageElement);
    this.setOptions(this.options);
  }

  get invalid(): boolean {
    return this.browserBlocks;
  }

  setValue(value: unknown): void {
    const text = value === true ? 'true' : value === false ? 'false' : String(value ?? '');
    if (this.host.pending(this.spec.key)) {
      return; // the person is typing: what the kernel holds is older than what is on screen
    }
    if (text !== this.value) {
      this.value = text;
      this.fromKernel = true; // (the kernel echoing what was typed leaves it the person's)
    }
    this.show();
    this.refresh();
  }

  setMessages(messages: IFieldMessages): void {
    this.messages = messages ?? {};
    this.refresh();
  }

  setOptions(options: string[]): void {
    this.options = options ?? [];
    if (this.datalist) {
      this.datalist.replaceChildren(...this.options.map(option => new Option(option, option)));
    }
    this.show();
  }

  setDisabled(disabled: boolean): void {
    this.control.disabled = disabled;
  }

  focus(): void {
    this.control.focus();
  }

  private show(): void {
    const control = this.control;
    if (control instanceof HTMLInputElement && control.type === 'checkbox') {
      control.checked = this.value === 'true';
    } else if (control instanceof HTMLSelectElement) {
      fillSelect(control, this.options, this.value, this.spec.option_labels ?? this.spec.placeholder ?? '');
    } else if (control.value !== this.value) {
      control.value = this.value; // (unchanged text is left alone, so the caret stays)
    }
  }

  private read(): string {
    const control = this.control;
    if (control instanceof HTMLInputElement && control.type === 'checkbox') {
      return control.checked ? 'true' : 'false';
    }
    return control.value;
  }

  private onInput(): void {
    this.touched = true;
    this.fromKernel = false;
    const text = this.read();
    if (text !== this.value) {
      this.value = text;
      this.host.edit(this.spec.key, text);
    }
    this.refresh();
  }

  refresh(): void {
    const before = this.browserBlocks;
    const schema = { ...(this.spec.schema ?? {}), required: this.spec.required === true };
    // A blank field shows no error until the person changes it or an import is tried: a new form is not a
    // wrong one. A value the kernel put there (a folder's prefill) is not the person's doing either, but a
    // non-blank one that is wrong shows at once: it came from the folder, and it must be fixed before importing.
    const shown = pickMessage({
      browser: checkValue(schema, this.value, this.spec.key),
      error: this.messages.error,
      warning: this.messages.warning,
      hint: this.messages.hint,
      pending: this.host.pending(this.spec.key),
      fromKernel: this.fromKernel,
      reveal: this.touched || this.host.attempted() || !isBlank(schema, this.value)
    });
    this.browserBlocks = shown.browserBlocks;
    showMessage(this.messageElement, this.control, shown);
    this.el.classList.toggle('mi-invalid', this.messageElement.dataset.level === 'error');
    if (before !== this.browserBlocks) {
      this.host.checked();
    }
  }
}
