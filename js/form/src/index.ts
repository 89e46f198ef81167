/**
 * The form's front end, loaded by anywidget with the widget itself: it works wherever ipywidgets do
 * (JupyterLab, Notebook 7, VS Code, Colab), with no JupyterLab extension needed for it.
 */
import { FormView, IModel } from './form';

export default {
  render({ model, el }: { model: IModel; el: HTMLElement }): () => void {
    const view = new FormView(model);
    el.appendChild(view.el);
    return () => view.dispose();
  }
};
