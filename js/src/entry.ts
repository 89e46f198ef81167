/**
 * Where a person finds the import form in JupyterLab and Notebook 7: the launcher card and palette item
 * (a new notebook with a form), the file browser's folder menu (a form filled from that folder; the menu
 * entry is declared in schema/entry-points.json), and the "insert code below" plumbing of the form.
 * Every service but the document manager is optional: Notebook 7 pages have no launcher, and some have
 * no file browser or no notebook.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, showErrorMessage } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { FileBrowser, IDefaultFileBrowser, IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';
import { Contents } from '@jupyterlab/services';

import { importModelIcon } from './icons';
import { insertCodeBelow, listenForInsertCode } from './insertCode';
import { createFormNotebook, formCode } from './notebooks';
import { CATEGORY, CommandIDs } from './tokens';

export const entryPointsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'model-import-widget:entry-points',
  description:
    'Launcher, palette and file browser entries that open the model import form; its "insert code below".',
  autoStart: true,
  requires: [IDocumentManager],
  optional: [ILauncher, ICommandPalette, IDefaultFileBrowser, IFileBrowserFactory, INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    docManager: IDocumentManager,
    launcher: ILauncher | null,
    palette: ICommandPalette | null,
    defaultBrowser: IDefaultFileBrowser | null,
    browserFactory: IFileBrowserFactory | null,
    notebooks: INotebookTracker | null
  ): void => {
    const { commands, serviceManager } = app;
    const contents = serviceManager.contents;

    /** The browser a context menu was opened in, else the default one. */
    const currentBrowser = (): FileBrowser | null => browserFactory?.tracker.currentWidget ?? defaultBrowser;

    const selectedFolder = (): Contents.IModel | null => {
      const selected = Array.from(currentBrowser()?.selectedItems() ?? []);
      return selected.length === 1 && selected[0].type === 'directory' ? selected[0] : null;
    };

    const create = async (folder: string, code: string): Promise<string | undefined> => {
      try {
        return await createFormNotebook(contents, docManager, folder, code);
      } catch (reason) {
        await showErrorMessage('Cannot open a model import notebook', reason as Error);
        return undefined;
      }
    };

    commands.addCommand(CommandIDs.newForm, {
      label: 'Import model…',
      caption: 'Open a new notebook with the model import form',
      icon: args => (args['isPalette'] ? undefined : importModelIcon),
      execute: args => {
        // The launcher passes its folder as `cwd`; it follows the default file browser.
        const folder = typeof args['cwd'] === 'string' ? args['cwd'] : (currentBrowser()?.model.path ?? '');
        return create(folder, formCode());
      }
    });

    commands.addCommand(CommandIDs.importFolder, {
      label: 'Import as model…',
      caption: 'Open a new notebook beside this folder with the model import form filled from it',
      icon: importModelIcon,
      isEnabled: () => selectedFolder() !== null,
      execute: () => {
        const browser = currentBrowser();
        const folder = selectedFolder();
        if (!browser || !folder) {
          return;
        }
        // The notebook goes where the folder is listed, so the kernel (started in the notebook's folder)
        // finds the folder under the relative path.
        const here = browser.model.path;
        const relative = PathExt.relative(contents.localPath(here), contents.localPath(folder.path));
        return create(here, formCode(relative));
      }
    });

    commands.addCommand(CommandIDs.insertCode, {
      label: 'Insert code below the active cell',
      describedBy: {
        args: {
          type: 'object',
          properties: { code: { type: 'string', description: 'The source of the new code cell' } },
          required: ['code']
        }
      },
      isEnabled: () => !!notebooks?.currentWidget,
      execute: args => {
        const notebook = notebooks?.currentWidget?.content;
        const code = args['code'];
        if (!notebook || typeof code !== 'string') {
          return false;
        }
        return insertCodeBelow(notebook, notebook.activeCellIndex, code);
      }
    });

    launcher?.add({ command: CommandIDs.newForm, category: CATEGORY, rank: 0 });
    palette?.addItem({ command: CommandIDs.newForm, category: CATEGORY });
    if (notebooks) {
      listenForInsertCode(notebooks);
    }
  }
};
