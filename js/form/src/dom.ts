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

/**
 * The message to show, by priority: the kernel's error (passed only once the kernel has answered the field's
 * last edit: its wording is the fuller one), the browser's own check (instant), the kernel's warning, a hint.
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

/** A select's options and value; a value not among the options (blank, or set from code) is shown too. */
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
