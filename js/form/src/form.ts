/**
 * The whole form in one view: sections of fields and tables, the summary, questions the kernel asks, the
 * buttons, the import's progress and events, and the code. The kernel owns the state (traits of the one
 * widget); the browser checks each keystroke at once from the rule table's JSON schema and shows the kernel's
 * fuller messages once it has answered the edit (EditSequence). Nothing is written as HTML.
 */
import { button, element } from './dom';
import { FieldControl, IControl, IFieldMessages, IFieldSpec } from './field';
import { EditSequence } from './sequence';
import { TableControl } from './table';
import { ITrial, TrialPanel } from './trial';

/** The anywidget model (AFM): the part of it this view uses. */
export interface IModel {
  get(name: string): any;
  on(event: string, callback: (...args: any[]) => void): void;
  off(event?: string | null, callback?: ((...args: any[]) => void) | null): void;
  send(content: unknown): void;
  set(name: string, value: unknown): void;
  save_changes(): void;
}

interface ISection {
  title: string;
  fields: IFieldSpec[];
}
interface IButton {
  id: string;
  label: string;
  style?: string;
  enabled?: boolean;
  visible?: boolean;
  needs_checked?: boolean;
  place?: string;
  title?: string;
}
interface IPrompt {
  id: string;
  text: string;
  level?: string;
  buttons: IButton[];
}
interface IRun {
  status?: string;
  text?: string;
  fraction?: number | null;
  progress?: string;
  events?: Array<{ type: string; info: string }>;
  result_id?: string;
  snippet?: string;
}

export const INSERT_EVENT = 'model-import-widget:insert-code';

/** How long an edit or a click may wait for the kernel's answer before the form says it has none. */
export const ANSWER_WAIT_MS = 4000;

export class FormView {
  readonly el = element('div', 'mi-form');
  private readonly edits = new EditSequence();
  private readonly controls = new Map<string, IControl>();
  private readonly header = element('div', 'mi-header');
  private readonly headerText = element('span', 'mi-header-text');
  private readonly headerButtons = element('span', 'mi-header-buttons');
  private readonly sections = element('div', 'mi-sections');
  private readonly summary = element('div', 'mi-summary');
  private readonly prompts = element('div', 'mi-prompts');
  private readonly actions = element('div', 'mi-actions');
  private readonly run = element('div', 'mi-run');
  private readonly notice = element('div', 'mi-notice');
  private readonly code = element('pre', 'mi-code');
  private readonly banner = element('div', 'mi-banner');
  private readonly picker = element('div', 'mi-picker');
  private readonly trial = new TrialPanel({
    click: id => this.click(id),
    setRequest: text => {
      if (!this.disconnected && this.model.get('trial_request') !== text) {
        this.model.set('trial_request', text);
        this.model.save_changes();
      }
    },
    disconnected: () => this.disconnected
  });
  private disconnected = false;
  private waitTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners: Array<[string, (...args: any[]) => void]> = [];

  constructor(private readonly model: IModel) {
    this.edits.start(Number(model.get('answered'))); // a view drawn again numbers on from the kernel's answers
    this.summary.setAttribute('role', 'alert');
    this.header.append(this.headerText, this.headerButtons);
    this.notice.setAttribute('role', 'status');
    this.banner.setAttribute('role', 'alert');
    this.banner.hidden = true;
    this.el.append(this.banner, this.header, this.sections, this.summary, this.prompts, this.actions, this.picker,
                   this.trial.el, this.run, this.notice, this.code);
    this.buildSections();
    this.listen('sections', () => this.buildSections());
    this.listen('values', () => this.showValues());
    this.listen('messages', () => {
      this.showMessages();
      this.showButtons();
    });
    this.listen('answered', () => this.onAnswered());
    this.listen('attempted', () => { this.showMessages(); this.showButtons(); }); // every field's error shows
    this.listen('options', () => this.showOptions());
    this.listen('disabled', () => this.showDisabled());
    this.listen('header', () => this.showHeader());
    this.listen('header_detail', () => this.showHeader());
    this.listen('summary', () => this.showSummary());
    this.listen('prompts', () => this.showPrompts());
    this.listen('buttons', () => this.showButtons());
    this.listen('run', () => this.showRun());
    this.listen('notice', () => this.showNotice());
    this.listen('code', () => this.showCode());
    this.listen('lang', () => this.showLang());
    this.listen('picker', () => this.showPicker());
    this.listen('trial', () => this.showTrial());
    const onMessage = (message: any) => this.onCustom(message);
    model.on('msg:custom', onMessage);
    this.listeners.push(['msg:custom', onMessage]);
    // The widget's comm closed or died (a kernel restart: the widget manager marks every comm dead, which
    // ipywidgets announces as comm_live_update; a closed widget): this form can do nothing any more.
    const lost = () => this.lose();
    for (const event of ['comm:close', 'comm_live_update', 'destroy']) {
      model.on(event, lost);
      this.listeners.push([event, lost]);
    }
    this.showHeader();
    this.showSummary();
    this.showPrompts();
    this.showButtons();
    this.showRun();
    this.showNotice();
    this.showCode();
    this.showLang();
    this.showPicker();
    this.showTrial();
  }

  private showTrial(): void {
    this.trial.show((this.model.get('trial') ?? {}) as ITrial);
  }

  /** Stops listening to the model (the view was removed from the page). */
  dispose(): void {
    clearTimeout(this.waitTimer);
    for (const [event, callback] of this.listeners) {
      this.model.off(event, callback);
    }
  }

  private label(key: string, fallback: string): string {
    const labels: Record<string, string> = this.model.get('labels') ?? {};
    return labels[key] || fallback;
  }

  /** The kernel is gone: say so, and take every control and button out of use. */
  private lose(): void {
    this.disconnected = true;
    clearTimeout(this.waitTimer);
    this.el.classList.add('mi-disconnected');
    this.showBanner(this.label('disconnected', 'This form lost its kernel (it restarted or the form was closed): ' +
                                               'run the cell again for a live form. Nothing here is sent any more.'));
    for (const control of this.controls.values()) {
      control.setDisabled(true);
    }
    this.showButtons();
    for (const one of Array.from(this.prompts.querySelectorAll('button'))) {
      one.disabled = true;
    }
    this.showTrial();
  }

  private showBanner(text: string): void {
    this.banner.textContent = text;
    this.banner.hidden = !text;
  }

  /** After sending, wait for the kernel's answer; without one in time, say why nothing happens. */
  private expectAnswer(): void {
    clearTimeout(this.waitTimer);
    this.waitTimer = setTimeout(() => {
      if (this.edits.busy && !this.disconnected) {
        this.showBanner(this.label('no_answer', 'The kernel has not answered yet: it is busy (a cell is running), ' +
                                                'or it restarted (then run the cell again). Import waits for it.'));
      }
    }, ANSWER_WAIT_MS);
  }

  private listen(name: string, callback: () => void): void {
    const event = `change:${name}`;
    this.model.on(event, callback);
    this.listeners.push([event, callback]);
  }

  // ---- fields -----------------------------------------------------------------------------------

  private buildSections(): void {
    this.controls.clear();
    const host = {
      edit: (key: string, value: unknown) => this.edit(key, value),
      pending: (key: string) => this.edits.pending(key),
      attempted: () => this.model.get('attempted') === true, // (issue 10: errors show once an import was tried)
      checked: () => this.showButtons()
    };
    const built: HTMLElement[] = [];
    for (const section of (this.model.get('sections') ?? []) as ISection[]) {
      const fieldset = element('fieldset', 'mi-section');
      fieldset.appendChild(element('legend', 'mi-section-title', section.title));
      for (const spec of section.fields ?? []) {
        const control: IControl = spec.kind === 'table' ? new TableControl(spec, host) : new FieldControl(spec, host);
        this.controls.set(spec.key, control);
        fieldset.appendChild(control.el);
      }
      built.push(fieldset);
    }
    this.sections.replaceChildren(...built);
    this.showOptions();
    this.showValues();
    this.showMessages();
    this.showDisabled();
  }

  private edit(key: string, value: unknown): void {
    if (this.disconnected) {
      return;
    }
    const seq = this.edits.next(key);
    this.model.send({ kind: 'edit', seq, key, value });
    this.expectAnswer();
    this.showButtons();
    this.showRun();
  }

  private onAnswered(): void {
    this.edits.answer(Number(this.model.get('answered')));
    if (!this.edits.busy && !this.disconnected) {
      clearTimeout(this.waitTimer);
      this.showBanner('');
    }
    this.showValues();
    this.showMessages();
    this.showButtons();
    this.showRun();
  }

  private showValues(): void {
    const values: Record<string, unknown> = this.model.get('values') ?? {};
    for (const [key, control] of this.controls) {
      control.setValue(values[key] ?? (control.spec.kind === 'table' ? [] : ''));
    }
  }

  private showMessages(): void {
    const messages: Record<string, IFieldMessages> = this.model.get('messages') ?? {};
    for (const [key, control] of this.controls) {
      control.setMessages(messages[key] ?? {});
    }
  }

  private showOptions(): void {
    const options: Record<string, string[]> = this.model.get('options') ?? {};
    for (const [key, control] of this.controls) {
      if (options[key]) {
        control.setOptions(options[key]);
      }
    }
  }

  private showDisabled(): void {
    const disabled = this.disconnected || this.model.get('disabled') === true;
    for (const control of this.controls.values()) {
      control.setDisabled(disabled);
    }
  }

  // ---- the rest of the form ---------------------------------------------------------------------

  private showHeader(): void {
    this.headerText.textContent = this.model.get('header') ?? '';
    this.headerText.title = this.model.get('header_detail') ?? '';
  }

  private showSummary(): void {
    const summary: { title?: string; lines?: string[] } = this.model.get('summary') ?? {};
    const lines = summary.lines ?? [];
    this.summary.replaceChildren(
      ...(summary.title ? [element('div', 'mi-summary-title', summary.title)] : []),
      ...lines.map(line => element('div', 'mi-summary-line', line))
    );
    this.summary.hidden = lines.length === 0;
  }

  private showPrompts(): void {
    const prompts: IPrompt[] = this.model.get('prompts') ?? [];
    this.prompts.replaceChildren(
      ...prompts.map(prompt => {
        const box = element('div', `mi-prompt mi-prompt-${prompt.level || 'info'}`);
        box.dataset.prompt = prompt.id;
        box.appendChild(element('span', 'mi-prompt-text', prompt.text));
        for (const item of prompt.buttons ?? []) {
          const made = button(item.label, `mi-style-${item.style || 'default'}`, () => this.click(item.id));
          made.dataset.action = item.id;
          box.appendChild(made);
        }
        return box;
      })
    );
  }

  private showButtons(): void {
    const buttons: IButton[] = this.model.get('buttons') ?? [];
    // what is on screen: a field showing an error (the kernel's or the browser's) holds Import back
    const invalid = Array.from(this.controls.values()).some(control => control.invalid) ||
      this.sections.querySelector('.mi-invalid') !== null;
    const made = buttons
      .filter(item => item.visible !== false && item.place !== 'header')
      .map(item => {
        const one = button(item.label, `mi-style-${item.style || 'default'}`, () => this.click(item.id));
        one.dataset.action = item.id;
        // Import waits for the kernel to have checked what is on screen, and for the browser's own checks
        one.disabled =
          this.disconnected ||
          item.enabled === false ||
          (item.needs_checked === true && (invalid || this.edits.busy));
        return one;
      });
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.action;
    this.headerButtons.replaceChildren(
      ...buttons
        .filter(item => item.visible !== false && item.place === 'header')
        .map(item => {
          const one = button(item.label, 'mi-header-button', () => this.click(item.id));
          one.dataset.action = item.id;
          if (item.title) {
            one.title = item.title;
          }
          return one;
        })
    );
    this.actions.replaceChildren(...made);
    if (focused) {
      made.find(one => one.dataset.action === focused)?.focus();
    }
  }

  private click(id: string): void {
    if (this.disconnected) {
      return;
    }
    const seq = this.edits.next('#click');
    this.model.send({ kind: 'click', id, seq });
    this.expectAnswer();
  }

  private showRun(): void {
    const run: IRun = this.model.get('run') ?? {};
    const parts: HTMLElement[] = [];
    // One status line. While an edit waits for the kernel's check, a draft says so: what the kernel said of
    // the last text ("nothing blocks importing") is not yet true of what is on screen.
    const checking = (run.status ?? 'draft') === 'draft' && this.edits.busy && !this.disconnected;
    const text = checking ? this.label('checking', 'Checking…') : run.text;
    if (text) {
      const status = element('div', `mi-status mi-status-${checking ? 'checking' : run.status || 'draft'}`, text);
      status.setAttribute('role', 'status');
      parts.push(status);
    }
    if (typeof run.fraction === 'number') {
      const bar = element('progress', 'mi-progress-bar');
      bar.max = 1;
      bar.value = run.fraction;
      parts.push(bar);
    }
    if (run.progress) {
      parts.push(element('span', 'mi-progress', run.progress));
    }
    if (run.events && run.events.length) {
      const list = element('ul', 'mi-events');
      for (const event of run.events) {
        list.appendChild(element('li', `mi-event-${event.type}`, event.info));
      }
      parts.push(list);
    }
    if (run.result_id) {
      const result = element('div', 'mi-result', `${this.label('model_id', 'Model id')} `);
      result.appendChild(element('code', '', run.result_id));
      if (run.snippet) {
        result.appendChild(element('pre', 'mi-snippet', run.snippet));
      }
      parts.push(result);
    }
    this.run.replaceChildren(...parts);
  }

  /** The kernel's folder picker: the folder shown, its sub-folders (buttons), up, choose, close. */
  private showPicker(): void {
    const state: {
      path?: string;
      entries?: Array<{ name: string; package?: boolean }>;
      error?: string;
      package?: boolean;
      can_go_up?: boolean;
    } = this.model.get('picker') ?? {};
    if (!state.path) {
      this.picker.replaceChildren();
      this.picker.hidden = true;
      return;
    }
    const made = (label: string, id: string, className = '') => {
      const one = button(label, className, () => this.click(id));
      one.dataset.action = id;
      one.disabled = this.disconnected;
      return one;
    };
    const head = element('div', 'mi-picker-head');
    head.appendChild(element('code', 'mi-picker-path', state.path));
    if (state.package) {
      head.appendChild(element('span', 'mi-picker-badge', this.label('package', 'model package')));
    }
    const list = element('ul', 'mi-picker-list');
    list.setAttribute('aria-label', state.path);
    for (const entry of state.entries ?? []) {
      const item = element('li');
      const open = made(`${entry.name}/`, `pick:open:${entry.name}`, 'mi-picker-entry');
      item.appendChild(open);
      if (entry.package) {
        item.appendChild(element('span', 'mi-picker-badge', this.label('package', 'model package')));
      }
      list.appendChild(item);
    }
    const bar = element('div', 'mi-picker-bar');
    const up = made(this.label('up', 'Up'), 'pick:up');
    up.disabled = up.disabled || state.can_go_up === false;
    bar.append(up, made(this.label('choose', 'Choose this folder'), 'pick:choose', 'mi-style-primary'),
               made(this.label('close', 'Close'), 'pick:close'));
    const parts: HTMLElement[] = [head];
    if (state.error) {
      parts.push(element('div', 'mi-picker-error', state.error));
    }
    parts.push(list, bar);
    this.picker.replaceChildren(...parts);
    this.picker.hidden = false;
  }

  private showNotice(): void {
    const notice: { text?: string; level?: string } = this.model.get('notice') ?? {};
    this.notice.textContent = notice.text ?? '';
    this.notice.dataset.level = notice.level ?? '';
    this.notice.hidden = !notice.text;
  }

  private showCode(): void {
    const code: string = this.model.get('code') ?? '';
    this.code.textContent = code;
    this.code.hidden = !code;
  }

  private showLang(): void {
    this.el.lang = this.model.get('lang') || 'en';
  }

  // ---- messages from the kernel -----------------------------------------------------------------

  private onCustom(message: any): void {
    if (message?.kind === 'insert-code' && typeof message.code === 'string') {
      this.insertCode(message.code, message.copied ?? '', message.inserted ?? '', message.manual ?? '');
    }
  }

  /**
   * Asks the notebook to put `code` in a new cell below this one (the project's JupyterLab extension answers
   * the event); where nothing does, copies the code to the clipboard, or, where even that is refused, shows it
   * to copy by hand — and says which happened.
   */
  private insertCode(code: string, copiedText: string, insertedText: string, manualText: string): void {
    const event = new CustomEvent(INSERT_EVENT, { bubbles: true, cancelable: true, composed: true, detail: { code } });
    if (!this.el.dispatchEvent(event)) {
      this.localNotice(insertedText);
      return;
    }
    const byHand = () => {
      this.code.textContent = code;
      this.code.hidden = false;
      this.localNotice(manualText);
    };
    if (!navigator.clipboard?.writeText) {
      byHand();
      return;
    }
    navigator.clipboard.writeText(code).then(() => this.localNotice(copiedText), byHand);
  }

  private localNotice(text: string): void {
    this.notice.textContent = text;
    this.notice.dataset.level = '';
    this.notice.hidden = !text;
  }
}
