/**
 * The extension's plugins: JupyterLab's entry points to the form (launcher card, palette command, "Import as
 * model…" on a folder, and "Insert code below" for the form's button). The form itself needs no extension: its
 * front end comes with the widget (anywidget, js/form/).
 */
import { entryPointsPlugin } from './entry';

export default [entryPointsPlugin];
