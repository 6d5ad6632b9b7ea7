import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';

import { ApiError, fetchHandshake } from './api';
import { LABEXTENSION_VERSION } from './version';

/** Plugin id, also the prefix of the extension's settings and commands. */
export const PLUGIN_ID = 'jupyter-easymaker:plugin';

/**
 * Checks that the jupyter-easymaker server extension answers and runs the
 * same version as this labextension.
 */
async function handshake(): Promise<void> {
  try {
    const { version } = await fetchHandshake();
    if (version !== LABEXTENSION_VERSION) {
      Notification.error(
        `jupyter-easymaker: the server extension is version ${version} but the ` +
          `JupyterLab extension is version ${LABEXTENSION_VERSION}. ` +
          'Reinstall jupyter_easymaker and restart JupyterLab.',
        { autoClose: false }
      );
      return;
    }
    console.log(`jupyter-easymaker ${version} ready`);
  } catch (error) {
    const message =
      error instanceof ApiError && error.status === 404
        ? 'jupyter-easymaker: the server extension is not enabled (the API answered 404). ' +
          'Run `jupyter server extension enable jupyter_easymaker` and restart JupyterLab.'
        : `jupyter-easymaker: the server extension did not answer: ${String(error)}`;
    console.error(message);
    Notification.error(message, { autoClose: false });
  }
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'JupyterLab-native ML platform: experiments, trainings, models and endpoints.',
  autoStart: true,
  activate: (_app: JupyterFrontEnd) => {
    void handshake();
  }
};

export default plugin;
