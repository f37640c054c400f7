/** Figures of the study: plotly figure specs from plain arrays, inline display in tslab, and export. */
export type { Figure, Trace, Layout, Frame, Coords, Labels } from './types';
export { POSITIVE_COLOR, NEGATIVE_COLOR, PALETTE, DIVERGING, DEFAULT_CLASS_NAMES, type ClassNames } from './style';
export { layerScatter, layerFrameName, methodLabel, scatter3d, type LayerPoints, type LayerScatterOptions, type Points3d, type Scatter3dOptions } from './scatter';
export { probeAccuracyByLayer, confusionMatrix, type ProbeAccuracy, type ProbeAccuracyOptions, type BinaryConfusion, type ConfusionOptions } from './probes';
export { mlpActivationBars, cosineHeatmap, type MlpLayerStat, type MlpSeries, type MlpBarsOptions, type CosineInput, type CosineOptions } from './layers';
export { steeringHeatmap, judgeScores, type SteeringCell, type SteeringHeatmapOptions, type JudgeScorePoint, type JudgeScoresOptions } from './steering';
export { plotlySource, plotlyPath, figureHtml, figurePage, figureTitle, describeFigure, escapeHtml, scriptJson, plotlyScriptTag, sharedPlotlySource, type FigureHtmlOptions, type PlotlySource } from './html';
export { showFigure, notebookDisplay, inTslabKernel, notebookFigureHtml, type ShowOptions, type HtmlDisplay } from './display';
export { FigureRenderer, exportFigures, exportFigure, writeFigureHtml, chromiumPath, chromiumAvailable, findChromium, chromiumInstallHint, CHROMIUM_ARGS, EXPORT_FORMATS, SHARED_PLOTLY_FILE, type ExportOptions, type ExportFormat, type ImageFormat, type ImageOptions, type NamedFigure, type ExportedFigure } from './export';
export { layerFigure, layerGrid, figureLayers, type LayerGridOptions } from './static';
export { encodeGif, decodePng, sharedPalette, type RgbaImage, type GifOptions } from './gif';
export { pooledScatter, type PooledPoints, type PooledScatterOptions } from './pooled';
export { sideBySide, type SideBySideOptions } from './compose';
