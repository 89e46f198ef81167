/**
 * The view of `FieldWidget`: a label, one control (text, textarea, select, combo, checkbox) and the message
 * under it. It checks every keystroke against the field's schema without the kernel, and shows the kernel's
 * `error`, `warning` and `hint` once the kernel has caught up with the text.
 */
import { DOMWidgetModel, DOMWidgetView } from '@jupyter-widgets/base';

import { checkValue, ISchema } from './check';
import { EditTracker, uniqueId } from './sync';
import { MODULE_NAME, MODULE_VERSION } from './version';

type Control = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

/** One message under a control, or none; `level` drives its colour. */
export interface IMessage {
  text: string;
  level: 'error' | 'warning' | 'hint' | '';
}

/** Writes `message` into `element` and marks `control` invalid exactly when it shows an error. */
export function showMessage(element: HTMLElement, control: HTMLElement | null, message: IMessage): void {
  if (element.textContent !== message.text) {
    element.textContent = message.text;
  }
  element.dataset.level = message.level;
  if (control) {
    if (message.level === 'error') {
      control.setAttribute('aria-invalid', 'true');
    } else {
      control.removeAttribute('aria-invalid');
    }
  }
}

/**
 * The message to show, by priority: the kernel's error (callers pass it only once the kernel has checked the
 * current text, and its wording is the fuller one: suggestions, cross-field rules), the browser's own check
 * (instant, while the kernel has not answered yet), the kernel's warning, a hint.
 */
export function pickMessage(browser: string, kernelError: string, warning = '', hint = ''): IMessage {
  if (kernelError) {
    return { text: kernelError, level: 'error' };
  }
  if (browser) {
    return { text: browser, level: 'error' };
  }
  if (warning) {
    return { text: warning, level: 'warning' };
  }
  return { text: hint, level: hint ? 'hint' : '' };
}

/**
 * Sets a select's options and value: the options, plus the value when it is not one of them (blank, or
 * prefilled from code), so the select always shows what the kernel holds. Unchanged options are kept.
 */
export function fillSelect(select: HTMLSelectElement, options: string[], value: string, blankText = ''): void {
  const wanted = options.includes(value) ? options : [value, ...options];
  const current = Array.from(select.options, option => option.value);
  if (current.length !== wanted.length || current.some((option, i) => option !== wanted[i])) {
    select.replaceChildren(...wanted.map(option => new Option(option || blankText, option)));
  }
  if (select.value !== value) {
    select.value = value;
  }
}

/** Defaults every field and table model shares (the Python side's `_Common` traits). */
export function commonDefaults(modelName: string, viewName: string): Record<string, unknown> {
  return {
    _model_name: modelName,
    _model_module: MODULE_NAME,
    _model_module_version: MODULE_VERSION,
    _view_name: viewName,
    _view_module: MODULE_NAME,
    _view_module_version: MODULE_VERSION,
    field: '',
    label: '',
    tooltip: '',
    disabled: false,
    schema: {},
    error: '',
    warning: ''
  };
}

export class FieldModel extends DOMWidgetModel {
  defaults(): Record<string, unknown> {
    return {
      ...super.defaults(),
      ...commonDefaults('FieldModel', 'FieldView'),
      value: '',
      kind: 'text',
      options: [],
      placeholder: '',
      hint: ''
    };
  }
}

export class FieldView extends DOMWidgetView {
  private labelElement!: HTMLLabelElement;
  private messageElement!: HTMLDivElement;
  private control: Control | null = null;
  private datalist: HTMLDataListElement | null = null;
  private readonly controlId = uniqueId('mi-control');
  private readonly messageId = uniqueId('mi-message');
  private readonly listId = uniqueId('mi-options');
  private readonly edits = new EditTracker();
  /** Set once the person has typed in or left the control: only then is an empty required field flagged. */
  private touched = false;

  render(): void {
    this.el.classList.add('mi-field');

    this.labelElement = document.createElement('label');
    this.labelElement.className = 'mi-label';
    this.labelElement.htmlFor = this.controlId;

    this.messageElement = document.createElement('div');
    this.messageElement.className = 'mi-message';
    this.messageElement.id = this.messageId;
    this.messageElement.setAttribute('aria-live', 'polite');

    this.el.append(this.labelElement, this.messageElement);

    this.updateField();
    this.updateLabel();
    this.renderControl();

    this.listenTo(this.model, 'change:field', this.updateField);
    this.listenTo(this.model, 'change:label', this.updateLabel);
    this.listenTo(this.model, 'change:kind change:options', this.renderControl);
    this.listenTo(this.model, 'change:placeholder change:disabled change:schema', this.updateControl);
    this.listenTo(this.model, 'change:value', this.onModelValue);
    this.listenTo(this.model, 'change:error change:warning change:hint change:schema', this.updateMessage);
  }

  /** The tooltip belongs on the label (and so on the control's accessible description), not the box. */
  updateTooltip(): void {
    if (this.labelElement) {
      this.updateLabel();
    }
  }

  private updateField(): void {
    this.el.dataset.field = this.model.get('field');
  }

  private updateLabel(): void {
    this.labelElement.textContent = this.model.get('label') || this.model.get('field');
    const tooltip: string = this.model.get('tooltip') ?? '';
    if (tooltip) {
      this.labelElement.title = tooltip;
    } else {
      this.labelElement.removeAttribute('title');
    }
  }

  /** (Re)builds the control for `kind` and `options`, keeping focus if it had it. */
  private renderControl(): void {
    const hadFocus = this.control !== null && document.activeElement === this.control;
    this.control?.remove();
    this.datalist?.remove();
    this.datalist = null;

    const kind: string = this.model.get('kind');
    const options: string[] = this.model.get('options') ?? [];
    let control: Control;
    if (kind === 'textarea') {
      control = document.createElement('textarea');
      control.rows = 3;
    } else if (kind === 'select') {
      control = document.createElement('select');
    } else {
      const input = document.createElement('input');
      input.type = kind === 'checkbox' ? 'checkbox' : 'text';
      if (kind === 'combo') {
        this.datalist = document.createElement('datalist');
        this.datalist.id = this.listId;
        for (const option of options) {
          this.datalist.appendChild(new Option(option, option));
        }
        input.setAttribute('list', this.listId);
      }
      control = input;
    }
    control.id = this.controlId;
    control.className = `mi-control mi-control-${kind === 'combo' ? 'text' : kind}`;
    control.setAttribute('aria-describedby', this.messageId);
    if (!(control instanceof HTMLSelectElement) && control.type !== 'checkbox') {
      control.setAttribute('autocomplete', 'off');
      control.spellcheck = false;
    }
    const event = control instanceof HTMLSelectElement || kind === 'checkbox' ? 'change' : 'input';
    control.addEventListener(event, () => this.onUserInput());
    control.addEventListener('blur', () => {
      if (!this.touched) {
        this.touched = true;
        this.updateMessage();
      }
    });

    this.control = control;
    this.messageElement.before(control);
    if (this.datalist) {
      this.messageElement.before(this.datalist);
    }
    this.updateControl();
    this.showValue(this.model.get('value'));
    this.updateMessage();
    if (hadFocus) {
      control.focus();
    }
  }

  private updateControl(): void {
    const control = this.control;
    if (!control) {
      return;
    }
    control.disabled = this.model.get('disabled');
    const placeholder: string = this.model.get('placeholder') ?? '';
    if (!(control instanceof HTMLSelectElement)) {
      control.placeholder = placeholder;
    }
    const schema: ISchema = this.model.get('schema') ?? {};
    if (schema.required === true) {
      control.setAttribute('aria-required', 'true');
    } else {
      control.removeAttribute('aria-required');
    }
  }

  /** Puts `value` into the control; a text the control already holds is left alone, so the caret stays. */
  private showValue(value: string): void {
    const control = this.control;
    if (!control) {
      return;
    }
    if (control instanceof HTMLInputElement && control.type === 'checkbox') {
      control.checked = value === 'true';
    } else if (control instanceof HTMLSelectElement) {
      this.fillSelect(control, value);
    } else if (control.value !== value) {
      control.value = value;
    }
  }

  private fillSelect(select: HTMLSelectElement, value: string): void {
    fillSelect(select, this.model.get('options') ?? [], value, this.model.get('placeholder') ?? '');
  }

  private readControl(): string {
    const control = this.control!;
    if (control instanceof HTMLInputElement && control.type === 'checkbox') {
      return control.checked ? 'true' : 'false';
    }
    return control.value;
  }

  private onUserInput(): void {
    this.touched = true;
    const text = this.readControl();
    if (text === this.model.get('value')) {
      // Nothing to send, so no answer would come to clear a pending edit.
      this.updateMessage();
      return;
    }
    this.model.set('value', text, { updated_view: this });
    this.edits.save(this, () => this.updateMessage());
    this.updateMessage();
  }

  private onModelValue(_model: unknown, value: string, options?: { updated_view?: unknown }): void {
    if (options?.updated_view !== this) {
      this.showValue(value);
    }
    this.updateMessage();
  }

  private updateMessage(): void {
    const value: string = this.model.get('value') ?? '';
    const schema: ISchema = this.model.get('schema') ?? {};
    const browser =
      this.touched || value.trim() !== '' ? checkValue(schema, value, this.model.get('field')) : '';
    // An error the kernel set for an older text is not shown against the newer one.
    const kernelError = this.edits.pending ? '' : (this.model.get('error') ?? '');
    showMessage(
      this.messageElement,
      this.control,
      pickMessage(browser, kernelError, this.model.get('warning') ?? '', this.model.get('hint') ?? '')
    );
    this.el.classList.toggle('mi-invalid', this.messageElement.dataset.level === 'error');
  }
}
