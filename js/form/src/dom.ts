/** Small DOM helpers: every text goes in as text (textContent), never as HTML, so no value can run as code. */

/**
 * An id unique in the page. Several forms, and several views of one form, may be on screen at once, and
 * anywidget may evaluate this module once per widget: the counter lives on the page, not in the module.
 */
export function uniqueId(prefix: string): string {
  const page = globalThis as { __modelImportWidgetIds?: number };
  page.__modelImportWidgetIds = (page.__modelImportWidgetIds ?? 0) + 1;
  return `${prefix}-${page.__modelImportWidgetIds}`;
}

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text = ''
): HTMLElementTagNameMap[K] {
  const made = document.createElement(tag);
  if (className) {
    made.className = className;
  }
  if (text) {
    made.textContent = text;
  }
  return made;
}

export function button(label: string, className: string, onClick: () => void): HTMLButtonElement {
  const made = element('button', `mi-button ${className}`.trim(), label);
  made.type = 'button';
  made.addEventListener('click', onClick);
  return made;
}

/** One message under a control: its text, its level (drives colour), and aria-invalid on the control. */
export interface IMessage {
  text: string;
  level: 'error' | 'warning' | 'hint' | '';
}

export function showMessage(target: HTMLElement, control: HTMLElement | null, message: IMessage): void {
  if (target.textContent !== message.text) {
    target.textContent = message.text;
  }
  target.dataset.level = message.level;
  if (control) {
    if (message.level === 'error') {
      control.setAttribute('aria-invalid', 'true');
    } else {
      control.removeAttribute('aria-invalid');
    }
  }
}

/** What the browser and the kernel say about one control's text, and whether its errors may show yet. */
export interface IVerdicts {
  /** The browser's own check of the text on screen ('' when it finds nothing). */
  browser: string;
  /** The kernel's messages for the control, as it last sent them. */
  error?: string;
  warning?: string;
  hint?: string;
  /** The kernel has not answered the text on screen yet (IFieldHost.pending). */
  pending: boolean;
  /** The text came from the kernel (a prefill, a value set from code), not from an edit made here. */
  fromKernel: boolean;
  /** Errors may show: the person changed the control (or its table row), an import was tried, or it is not blank. */
  reveal: boolean;
}

/** The message to show, and whether it is an error of the browser's own check (which holds Import back). */
export interface IShown extends IMessage {
  browserBlocks: boolean;
}

/**
 * The message to show, by priority: an error, the kernel's warning, its hint. Until the kernel has answered
 * what was typed, the browser's own check is the only verdict; once it has, the kernel's verdict is the one
 * shown, even where the browser's check disagrees. Text the kernel put there was never a question to it, so
 * the browser's check stands beside the kernel's error there (the kernel's, the fuller, first). No error shows
 * before `reveal`: a blank form is not a wrong one.
 */
export function pickMessage(verdicts: IVerdicts): IShown {
  const kernelError = verdicts.pending ? '' : (verdicts.error ?? '');
  const browserError = verdicts.pending || verdicts.fromKernel ? verdicts.browser : '';
  const error = verdicts.reveal ? kernelError || browserError : '';
  if (error) {
    return { text: error, level: 'error', browserBlocks: browserError !== '' };
  }
  const warning = verdicts.pending ? '' : (verdicts.warning ?? '');
  if (warning) {
    return { text: warning, level: 'warning', browserBlocks: false };
  }
  const hint = verdicts.hint ?? '';
  return { text: hint, level: hint ? 'hint' : '', browserBlocks: false };
}

/**
 * A select's options and value; a value not among the options (blank, or set from code) is shown too.
 * `labels` says what each choice means ("auto: made by ExeML"; '' is the blank choice), or is the blank's text.
 */
export function fillSelect(select: HTMLSelectElement, options: string[], value: string,
                           labels: string | Record<string, string> = ''): void {
  const words = typeof labels === 'string' ? { '': labels } : labels;
  const wanted = options.includes(value) ? options : [value, ...options];
  const current = Array.from(select.options, option => [option.value, option.text]);
  const shown = wanted.map(option => [option, words[option] || option]);
  if (current.length !== shown.length || current.some(([v, t], i) => v !== shown[i][0] || t !== shown[i][1])) {
    select.replaceChildren(...shown.map(([option, text]) => new Option(text, option)));
  }
  if (select.value !== value) {
    select.value = value;
  }
}
