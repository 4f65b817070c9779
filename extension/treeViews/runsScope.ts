import * as path from 'node:path';

/** Commands switching the Runs list between this workspace's runs and every run of the store. */
export const RUNS_SCOPE_COMMANDS = {
  showAll: 'pipewright.runs.showAllWorkspaces',
  showWorkspace: 'pipewright.runs.showThisWorkspace',
} as const;

/** Context keys: the Runs list shows every workspace's runs; runs of other workspaces are hidden. */
export const RUNS_SCOPE_CONTEXT = {
  all: 'pipewright.runsOfAllWorkspaces',
  hidden: 'pipewright.runsElsewhere',
} as const;

/** workspaceState key of the user's choice. */
export const RUNS_SCOPE_STATE = 'pipewright.runsOfAllWorkspaces';

/**
 * Is a definition file inside one of these folders? A window with no folder (a loose file, an
 * empty window) has no "its workspace": every run is its own then.
 */
export function inFolders(file: string, folders: readonly string[]): boolean {
  if (folders.length === 0) return true;
  const abs = path.resolve(file);
  return folders.some((folder) => {
    const rel = path.relative(path.resolve(folder), abs);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  });
}

/** The runs the Runs list shows, and how many others it leaves out. */
export function scopeRuns<T>(runs: readonly T[], fileOf: (run: T) => string, folders: readonly string[], all: boolean): { shown: T[]; hidden: number } {
  if (all) return { shown: [...runs], hidden: 0 };
  const shown = runs.filter((r) => inFolders(fileOf(r), folders));
  return { shown, hidden: runs.length - shown.length };
}
