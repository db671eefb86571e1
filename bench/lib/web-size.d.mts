export declare const INITIAL_JS_BUDGET_KB: number;
export declare function initialJs(dist: string): {
  files: { file: string; bytes: number; gzipBytes: number }[];
  bytes: number;
  gzipBytes: number;
  gzipKB: number;
};
