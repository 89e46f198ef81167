/**
 * The "Try locally" panel: what runs, a sample request to edit, and the answer (or the package's own error).
 * The kernel owns the panel (the `trial` trait); the request as edited goes back as `trial_request`.
 */
import { button, element } from './dom';

export interface ITrial {
  state?: string;
  title?: string;
  text?: string;
  level?: string;
  request?: string;
  request_label?: string;
  details?: Array<{ label: string; text: string; pre?: boolean }>;
  buttons?: Array<{ id: string; label: string; style?: string }>;
}

export interface ITrialHost {
  click(id: string): void;
  setRequest(text: string): void;
  disconnected(): boolean;
}

export class TrialPanel {
  readonly el = element('section', 'mi-trial');
  private readonly request = element('textarea', 'mi-trial-request');
  private readonly requestLabel = element('label', 'mi-trial-request-label');
  private readonly requestLabelText = element('span', 'mi-trial-request-label-text');
  private shownRequest = '';

  constructor(private readonly host: ITrialHost) {
    this.el.hidden = true;
    this.el.setAttribute('aria-live', 'polite');
    this.request.spellcheck = false;
    this.request.rows = 6;
    this.request.addEventListener('input', () => this.host.setRequest(this.request.value));
    this.requestLabel.append(this.requestLabelText, this.request);
  }

  show(trial: ITrial): void {
    if (!trial || !trial.state) {
      this.el.hidden = true;
      this.el.replaceChildren();
      return;
    }
    this.el.hidden = false;
    this.el.dataset.level = trial.level ?? '';
    this.el.dataset.state = trial.state;
    const parts: HTMLElement[] = [element('div', 'mi-trial-title', trial.title ?? '')];
    const text = element('div', `mi-trial-text mi-trial-${trial.level || 'info'}`, trial.text ?? '');
    text.setAttribute('role', trial.level === 'error' ? 'alert' : 'status');
    parts.push(text);
    // the request box keeps what the person typed: only a request the kernel changed replaces it
    if ((trial.request ?? '') !== this.shownRequest) {
      this.shownRequest = trial.request ?? '';
      this.request.value = this.shownRequest;
    }
    this.request.disabled = trial.state === 'running' || this.host.disconnected();
    this.requestLabelText.textContent = trial.request_label ?? '';
    parts.push(this.requestLabel);
    for (const detail of trial.details ?? []) {
      const box = element('div', 'mi-trial-detail');
      box.appendChild(element('div', 'mi-trial-detail-label', detail.label));
      box.appendChild(element(detail.pre ? 'pre' : 'div', 'mi-trial-detail-text', detail.text));
      parts.push(box);
    }
    const actions = element('div', 'mi-trial-actions');
    for (const item of trial.buttons ?? []) {
      const made = button(item.label, `mi-style-${item.style || 'default'}`, () => {
        this.host.setRequest(this.request.value); // the click acts on the request on screen
        this.host.click(item.id);
      });
      made.dataset.action = item.id;
      made.disabled = this.host.disconnected();
      actions.appendChild(made);
    }
    parts.push(actions);
    this.el.replaceChildren(...parts);
  }
}
