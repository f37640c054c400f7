/** Figures of the study: plotly figure specs from plain arrays, inline display in tslab, and export. The page and script
 * assembly (html.ts), the GIF/PNG codecs (gif.ts) and the Chromium renderer stay behind their files. */
export type { Figure, Trace, Layout, Frame, Coords, Labels } from './types';
export { POSITIVE_COLOR, NEGATIVE_COLOR, PALETTE, DIVERGING, DEFAULT_CLASS_NAMES, type ClassNames } from './style';
export { layerScatter, layerFrameName, methodLabel, scatter3d, type LayerPoints, type LayerScatterOptions, type Points3d, type Scatter3dOptions } from './scatter';
export { probeAccuracyByLayer, confusionMatrix, type ProbeAccuracy, type ProbeAccuracyOptions, type BinaryConfusion, type ConfusionOptions } from './probes';
export { mlpActivationBars, cosineHeatmap, type MlpLayerStat, type MlpSeries, type MlpBarsOptions, type CosineInput, type CosineOptions } from './layers';
export { steeringHeatmap, judgeScores, type SteeringCell, type SteeringHeatmapOptions, type JudgeScorePoint, type JudgeScoresOptions } from './steering';
export { figureHtml, figureTitle, describeFigure, type FigureHtmlOptions } from './html';
export { showFigure, notebookDisplay, inTslabKernel, type ShowOptions, type HtmlDisplay } from './display';
export { exportFigures, exportFigure, writeFigureHtml, chromiumAvailable, findChromium, chromiumInstallHint, EXPORT_FORMATS, type ExportOptions, type ExportFormat, type ImageFormat, type ImageOptions, type NamedFigure, type ExportedFigure } from './export';
export { layerFigure, layerGrid, figureLayers, type LayerGridOptions } from './static';
export { pooledScatter, type PooledPoints, type PooledScatterOptions } from './pooled';
export { sideBySide, type SideBySideOptions } from './compose';
