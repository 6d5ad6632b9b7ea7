/* Styles of the jupyter-easymaker panels; uPlot's own stylesheet first. */
import 'uplot/dist/uPlot.min.css';
import './index.css';
