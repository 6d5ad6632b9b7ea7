/**
 * What every panel receives: the API, the live change feed, settings,
 * the handshake verdict and the translation. Built once by the plugin and
 * passed down (panels never import the plugin: no import cycles).
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { ISignal, Signal } from '@lumino/signaling';

import type { IEasyMakerApi } from './api';
import type { ChangeFeed } from './api/events';
import type { ICapabilities } from './api/types';
import type { ITrans } from './i18n';
import type { HandshakeState } from './state/handshake';

/** The extension's settings (labextension/schema/plugin.json). */
export interface IEasyMakerSettings {
  /** Seconds between re-reads when the live stream is unavailable. */
  refreshInterval: number;
  /** Backend of new trainings ('' = the server's default). */
  defaultBackend: string;
  /** Experiment name new trainings go to ('' = none preselected). */
  defaultExperiment: string;
}

export const DEFAULT_SETTINGS: IEasyMakerSettings = {
  refreshInterval: 5,
  defaultBackend: '',
  defaultExperiment: ''
};

export class EasyMakerContext {
  constructor(
    readonly app: JupyterFrontEnd,
    readonly api: IEasyMakerApi,
    readonly feed: ChangeFeed,
    readonly trans: ITrans
  ) {}

  get settings(): IEasyMakerSettings {
    return this._settings;
  }

  get settingsChanged(): ISignal<this, IEasyMakerSettings> {
    return this._settingsChanged;
  }

  setSettings(settings: Partial<IEasyMakerSettings>): void {
    this._settings = { ...this._settings, ...settings };
    this._settingsChanged.emit(this._settings);
  }

  get handshake(): HandshakeState {
    return this._handshake;
  }

  get handshakeChanged(): ISignal<this, HandshakeState> {
    return this._handshakeChanged;
  }

  setHandshake(state: HandshakeState): void {
    this._handshake = state;
    this._handshakeChanged.emit(state);
  }

  get capabilities(): ICapabilities {
    const h = this._handshake;
    return h.kind === 'ok' || h.kind === 'mismatch' ? h.info.capabilities ?? {} : {};
  }

  private _settings: IEasyMakerSettings = { ...DEFAULT_SETTINGS };
  private _settingsChanged = new Signal<this, IEasyMakerSettings>(this);
  private _handshake: HandshakeState = { kind: 'pending' };
  private _handshakeChanged = new Signal<this, HandshakeState>(this);
}
