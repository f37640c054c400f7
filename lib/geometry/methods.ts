// The projection methods of the geometry stage, named once (data only, so settings and CLIs can list them without
// loading the numeric code). `embed` (project.ts) holds one function per method in a Record over these names.

/** What the usage text says about a projection method. */
export interface ProjectionInfo {
  /** A short note after the name in usage text ('' for none). */
  note: string;
}

/** Every projection method, in CLI order: the one place a method is named (PROJECTORS in project.ts must then implement it). */
export const PROJECTIONS = {
  pca: { note: '' },
  tsne: { note: 'Barnes–Hut; exact below 500 points' },
  umap: { note: '' },
  lle: { note: 'standard' },
  spectral: { note: '' },
} as const satisfies Record<string, ProjectionInfo>;

/** The projection methods of the study. */
export type ProjectionMethod = keyof typeof PROJECTIONS;

/** All projection method names (for CLI validation). */
export const PROJECTION_METHODS = Object.keys(PROJECTIONS) as readonly ProjectionMethod[];
