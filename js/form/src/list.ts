/**
 * The models list's front end (ModelList in widget/model_list.py), loaded by anywidget with the widget: a table
 * of the registry's models with status chips, paging, each model's events and a two-step delete. The kernel owns
 * the state and every word (traits); a click is sent as {kind: 'click', id}. Nothing is written as HTML.
 */
import { element } from './dom';

/** The anywidget model (AFM): the part of it this view uses. */
export interface IListModel {
  get(name: string): any;
  on(event: string, callback: (...args: any[]) => void): void;
  off(event?: string | null, callback?: ((...args: any[]) => void) | null): void;
  send(content: unknown): void;
}

export interface IRow {
  id: string;
  name: string;
  version: string;
  type: string;
  status: string;
  status_label: string;
  status_kind: string;
  size: string;
  size_title: string;
  created: string;
  created_title: string;
  description: string;
  delete_title: string;
  events_title: string;
}

interface IEvent {
  type: string;
  label: string;
  info: string;
  time: string;
}

interface IEvents {
  title?: string;
  reason?: string;
  items?: IEvent[];
  error?: string;
}

const TRAITS = ['rows', 'labels', 'message', 'message_level', 'confirming', 'events', 'busy', 'page', 'total_count',
  'page_size', 'language'];
const ICONS: Record<string, string> = { ok: '✓', error: '✕', progress: '●', pending: '●', neutral: '○' };

export class ListView {
  readonly el = element('div', 'mi-list');
  private readonly bar = element('div', 'mi-list-bar');
  private readonly messageEl = element('div', 'mi-list-message');
  private readonly scroll = element('div', 'mi-list-scroll');
  private readonly listener = () => this.render();

  constructor(private readonly model: IListModel) {
    this.messageEl.setAttribute('role', 'status');
    this.el.append(this.bar, this.messageEl, this.scroll);
    this.el.addEventListener('keydown', event => {
      if (event.key === 'Escape' && this.model.get('confirming')) {
        event.stopPropagation();  // the notebook would leave edit mode
        this.send('cancel');
      }
    });
    for (const name of TRAITS) {
      model.on(`change:${name}`, this.listener);
    }
    this.render();
  }

  dispose(): void {
    for (const name of TRAITS) {
      this.model.off(`change:${name}`, this.listener);
    }
  }

  private send(id: string): void {
    this.model.send({ kind: 'click', id });
  }

  private words(): Record<string, string> {
    return this.model.get('labels') || {};
  }

  private button(label: string, action: string, className = '', title = ''): HTMLButtonElement {
    const made = element('button', `mi-list-button ${className}`.trim());
    made.type = 'button';
    made.dataset.key = action;
    made.append(element('span', 'mi-list-button-label', label));
    if (title) {
      made.title = title;
    }
    made.addEventListener('click', () => this.send(made.dataset.action || action));
    return made;
  }

  render(): void {
    // Everything is drawn again from the state; the focused button (by its key) keeps the focus.
    const focused = (document.activeElement as HTMLElement | null)?.closest?.('[data-key]') as HTMLElement | null;
    const focusKey = focused && this.el.contains(focused) ? focused.dataset.key : undefined;
    const w = this.words();
    this.el.lang = this.model.get('language') === 'zh' ? 'zh-CN' : 'en';
    this.renderBar(w);
    this.renderMessage();
    this.renderTable(w);
    if (focusKey) {
      const again = this.el.querySelector<HTMLElement>(`[data-key="${CSS.escape(focusKey)}"]`);
      again?.focus();
    }
  }

  private renderBar(w: Record<string, string>): void {
    const page = Number(this.model.get('page')) || 0;
    const size = Number(this.model.get('page_size')) || 1;
    const total = Number(this.model.get('total_count')) || 0;
    const title = element('span', 'mi-list-title', w.title || 'Models');
    const where = element('span', 'mi-list-where', w.where || '');
    where.title = w.where || '';
    const range = element('span', 'mi-list-range', w.range || '');
    const newer = this.button(`‹ ${w.newer || 'Newer'}`, 'newer', '', w.newer_title || '');
    const older = this.button(`${w.older || 'Older'} ›`, 'older', '', w.older_title || '');
    newer.disabled = page <= 0;
    older.disabled = (page + 1) * size >= total;
    const refresh = this.button(`↻ ${w.refresh || 'Refresh'}`, 'refresh', '', w.refresh_title || '');
    const heading = element('span', 'mi-list-heading');
    heading.append(title, where);
    const paging = element('span', 'mi-list-paging');
    paging.append(range, newer, older, refresh);
    this.bar.replaceChildren(heading, paging);
  }

  private renderMessage(): void {
    const text = String(this.model.get('message') || '');
    const level = String(this.model.get('message_level') || '');
    this.messageEl.dataset.level = level;
    this.messageEl.hidden = !text;
    if (this.messageEl.textContent !== text) {
      this.messageEl.textContent = text;
    }
  }

  private renderTable(w: Record<string, string>): void {
    const rows: IRow[] = this.model.get('rows') || [];
    const confirming = String(this.model.get('confirming') || '');
    const busy = String(this.model.get('busy') || '');
    const events: Record<string, IEvents> = this.model.get('events') || {};
    if (!rows.length) {
      this.scroll.replaceChildren(element('div', 'mi-list-empty', w.range || ''));
      return;
    }
    const table = element('div', 'mi-list-table');
    table.setAttribute('role', 'table');
    table.setAttribute('aria-label', w.title || 'Models');
    const head = element('div', 'mi-list-row mi-list-head');
    head.setAttribute('role', 'row');
    const headers: Array<[string, string]> = [['name', ''], ['version', ''], ['type', ''], ['status', ''],
      ['size', 'mi-list-number'], ['created', ''], ['actions', 'mi-list-actions-head']];
    for (const [key, className] of headers) {
      const cell = element('div', `mi-list-cell ${className}`.trim(), w[key] || key);
      cell.setAttribute('role', 'columnheader');
      head.append(cell);
    }
    table.append(head);
    for (const row of rows) {
      table.append(this.renderRow(row, w, confirming === row.id, busy === row.id, row.id in events));
      if (confirming === row.id) {
        table.append(this.renderQuestion(row, w));
      }
      if (row.id in events) {
        table.append(this.renderEvents(row, events[row.id], w));
      }
    }
    this.scroll.replaceChildren(table);
  }

  private renderRow(row: IRow, w: Record<string, string>, asking: boolean, busy: boolean,
    open: boolean): HTMLElement {
    const line = element('div', 'mi-list-row mi-list-model');
    line.setAttribute('role', 'row');
    line.dataset.modelId = row.id;
    line.dataset.status = row.status;
    if (asking) {
      line.dataset.asking = 'true';
    }
    if (busy) {
      line.setAttribute('aria-busy', 'true');
    }
    const cell = (className: string, text = '', title = '') => {
      const made = element('div', `mi-list-cell ${className}`.trim(), text);
      made.setAttribute('role', 'cell');
      if (title) {
        made.title = title;
      }
      line.append(made);
      return made;
    };
    const name = cell('mi-list-name');
    const nameText = element('span', 'mi-list-name-text', row.name);
    nameText.title = row.name;
    name.append(nameText);
    if (row.description) {
      const description = element('span', 'mi-list-description', row.description);
      description.title = row.description;
      name.append(description);
    }
    cell('mi-list-version', row.version, row.version);
    cell('mi-list-type', row.type, row.type);
    const status = cell('mi-list-status');
    const chip = element('span', 'mi-list-chip');
    chip.dataset.kind = row.status_kind;
    chip.title = row.status;
    const icon = element('span', 'mi-list-chip-icon', ICONS[row.status_kind] || ICONS.neutral);
    icon.setAttribute('aria-hidden', 'true');
    chip.append(icon, element('span', 'mi-list-chip-text', row.status_label));
    status.append(chip);
    cell('mi-list-size mi-list-number', row.size, row.size_title);
    cell('mi-list-created', row.created, row.created_title);
    const actions = cell('mi-list-actions');
    const eventsButton = this.button(`${open ? '▾' : '▸'} ${w.events || 'Events'}`, `events:${row.id}`,
      'mi-list-events-button', row.events_title);
    eventsButton.setAttribute('aria-expanded', String(open));
    eventsButton.setAttribute('aria-controls', `mi-list-events-${row.id}`);
    // Both labels are always there (one hidden), so the button keeps its width when it asks.
    const remove = element('button', 'mi-list-button mi-list-delete');
    remove.type = 'button';
    remove.dataset.key = `delete:${row.id}`;
    remove.dataset.action = asking ? `confirm:${row.id}` : `delete:${row.id}`;
    remove.title = row.delete_title;
    remove.setAttribute('aria-pressed', String(asking));
    const plain = element('span', 'mi-list-button-label', w.delete || 'Delete');
    const ask = element('span', 'mi-list-button-label', w.confirm || 'Yes, delete');
    (asking ? plain : ask).classList.add('mi-list-hidden-label');
    (asking ? plain : ask).setAttribute('aria-hidden', 'true');
    remove.append(plain, ask);
    remove.addEventListener('click', () => this.send(remove.dataset.action || ''));
    eventsButton.disabled = remove.disabled = busy;
    actions.append(eventsButton, remove);
    return line;
  }

  private renderQuestion(row: IRow, w: Record<string, string>): HTMLElement {
    const line = element('div', 'mi-list-row mi-list-question');
    line.setAttribute('role', 'row');
    const cell = element('div', 'mi-list-cell mi-list-wide');
    cell.setAttribute('role', 'cell');
    const text = element('span', 'mi-list-question-text', w.question || '');
    text.setAttribute('role', 'alert');
    cell.append(text, this.button(w.cancel || 'Cancel', 'cancel', 'mi-list-cancel'));
    line.append(cell);
    line.dataset.modelId = row.id;
    return line;
  }

  private renderEvents(row: IRow, shown: IEvents, w: Record<string, string>): HTMLElement {
    const line = element('div', 'mi-list-row mi-list-events');
    line.setAttribute('role', 'row');
    line.dataset.modelId = row.id;
    const cell = element('div', 'mi-list-cell mi-list-wide');
    cell.setAttribute('role', 'cell');
    cell.id = `mi-list-events-${row.id}`;
    const region = element('section', 'mi-list-events-body');
    region.setAttribute('aria-label', shown.title || '');
    // the full name (the row may cut it) and the id, to copy
    const idLine = element('div', 'mi-list-model-id');
    idLine.append(element('strong', 'mi-list-full-name', `${row.name} ${row.version}`),
      element('span', 'mi-list-model-id-label', ` · ${w.model_id || 'Model ID'}: `), element('code', '', row.id));
    region.append(idLine);
    if (shown.reason) {
      const reason = element('div', 'mi-list-reason');
      reason.append(element('strong', '', `${w.reason || 'Why it failed:'} `), document.createTextNode(shown.reason));
      region.append(reason);
    }
    if (shown.error) {
      region.append(element('div', 'mi-list-events-error', shown.error));
    } else if (!shown.items?.length) {
      region.append(element('div', 'mi-list-no-events', w.no_events || ''));
    } else {
      const list = element('ol', 'mi-list-event-items');
      for (const event of shown.items) {
        const item = element('li', 'mi-list-event');
        item.dataset.type = event.type;
        item.append(element('span', 'mi-list-event-time', event.time),
          element('span', 'mi-list-event-type', event.label),
          element('span', 'mi-list-event-info', event.info));
        list.append(item);
      }
      region.append(list);
    }
    cell.append(region);
    line.append(cell);
    return line;
  }
}

export default {
  render({ model, el }: { model: IListModel; el: HTMLElement }): () => void {
    const view = new ListView(model);
    el.appendChild(view.el);
    return () => view.dispose();
  }
};
