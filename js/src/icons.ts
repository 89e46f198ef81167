import { LabIcon } from '@jupyterlab/ui-components';

import importModelSvgstr from '../style/icons/import-model.svg';

/** A model (a cube) with an arrow going into it: the launcher card and menu icon of the form's commands. */
export const importModelIcon = new LabIcon({
  name: 'model-import-widget:import-model',
  svgstr: importModelSvgstr
});
