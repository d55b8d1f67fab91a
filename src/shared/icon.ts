import { LabIcon } from '@jupyterlab/ui-components';

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <circle cx="5" cy="6" r="2.5"/><circle cx="5" cy="18" r="2.5"/><circle cx="19" cy="12" r="2.5"/>
    <path d="M6.8 7.4 17.2 11l-.5 1.4L6.3 8.8zM6.3 16.6 16.7 12.9l.5 1.4L6.8 18z"/>
  </g>
</svg>`;

/** The Elastic Notebook icon: a small history graph. */
export const elasticIcon = new LabIcon({ name: 'elastic-notebook:history', svgstr: svg });

const checkpointSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M5 3h11l3 3v15H5zm2 2v5h9V5zm5 8a3 3 0 1 0 0 6 3 3 0 0 0 0-6z"/>
  </g>
</svg>`;

/** The "Checkpoint session" icon: a floppy disk, saving the session. */
export const checkpointIcon = new LabIcon({ name: 'elastic-notebook:checkpoint', svgstr: checkpointSvg });
