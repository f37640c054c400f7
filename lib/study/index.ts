// The study as one object over a run folder, its settings table, and the stage book that keeps a folder to one
// configuration. The settings' parsers and the stage book's internals stay behind their files.
export {
  SETTINGS, SETTING_KEYS, STAGES, DEFAULT_MODEL, PAIR_FORMATS, JUDGE_BACKENDS, HOOK_NAMES, defaultStudyConfig, mergeSettings, parseSetting,
  settingsFromEnv, settingsMarkdown, settingsUsage, describeSettings, parseLayerSpec,
  type SettingKey, type SettingRow, type StageName, type StudyConfig,
} from './settings';
export { studyConfig, validateStudyConfig, signedMultipliers, resolveSteerLayers, twoThirdsLayer, modelTag } from './config';
export { StageBook, StageConflictError, type StageDifference } from './stage';
export * from './study';
export * from './data';
export { preflight, PreflightError, type PreflightReport, type PreflightOptions } from './preflight';
export * from './stage-status';
export * from './figures';
export * from './run';
