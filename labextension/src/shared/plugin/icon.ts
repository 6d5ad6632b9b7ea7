import { LabIcon } from '@jupyterlab/ui-components';

/** The EasyMaker mark: a flask over a rising curve (currentColor follows the theme). */
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M9 2h6v2h-1v4.2l5.6 9.3A2.3 2.3 0 0 1 17.6 21H6.4a2.3 2.3 0 0 1-2-3.5L10 8.2V4H9V2zm3 7.6L8.4 15.5h7.2L12 9.6z"/>
  </g>
</svg>`;

export const easymakerIcon = new LabIcon({ name: 'jupyter-easymaker:icon', svgstr: svg });
