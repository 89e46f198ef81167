/**
 * The extension's one plugin: registers the form's widget views with the Jupyter widget manager.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IJupyterWidgetRegistry } from '@jupyter-widgets/base';

import { FieldModel, FieldView } from './field';
import { TableModel, TableView } from './table';
import { MODULE_NAME, MODULE_VERSION } from './version';

const widgetsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'model-import-widget:widgets',
  description: 'The views of model_import_widget form fields and tables.',
  requires: [IJupyterWidgetRegistry],
  autoStart: true,
  activate: (_app: JupyterFrontEnd, registry: IJupyterWidgetRegistry): void => {
    registry.registerWidget({
      name: MODULE_NAME,
      version: MODULE_VERSION,
      exports: { FieldModel, FieldView, TableModel, TableView }
    });
  }
};

export default widgetsPlugin;
