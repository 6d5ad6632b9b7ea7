/* Styles of the jupyter-easymaker panels; uPlot's and React Flow's own stylesheets first. */
import 'uplot/dist/uPlot.min.css';
import '@xyflow/react/dist/style.css';
import './index.css';
