// A stub of the parts of the vscode API the Pipelines view uses, installed as the `vscode` module
// for unit tests of extension/treeViews (against a real RunTree). Import it before the view.
import Module from 'node:module';

type Listener<T> = (e: T) => void;
export class EventEmitter<T> {
  private readonly listeners: Listener<T>[] = [];
  readonly event = (l: Listener<T>) => {
    this.listeners.push(l);
    return { dispose: () => void this.listeners.splice(this.listeners.indexOf(l), 1) };
  };
  fire(e: T): void {
    this.listeners.slice().forEach((l) => l(e));
  }
  dispose(): void {
    this.listeners.length = 0;
  }
}
class TreeItem {
  id?: string;
  description?: string;
  tooltip?: unknown;
  iconPath?: unknown;
  contextValue?: string;
  command?: { command: string; arguments?: unknown[] };
  resourceUri?: unknown;
  constructor(
    public label: string,
    public collapsibleState: number,
  ) {}
}
class ThemeIcon {
  static readonly File = new ThemeIcon('file');
  constructor(
    readonly id: string,
    readonly color?: unknown,
  ) {}
}
export const uri = (fsPath: string) => ({ fsPath, toString: () => `file://${fsPath}` });
const vscodeStub = {
  EventEmitter,
  TreeItem,
  ThemeIcon,
  ThemeColor: class {
    constructor(readonly id: string) {}
  },
  MarkdownString: class {
    appendMarkdown(): void {}
    appendCodeblock(): void {}
  },
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  Uri: { file: uri },
  Range: class {
    constructor(readonly line: number) {}
  },
  workspace: { asRelativePath: (u: { fsPath: string }) => u.fsPath.replace(/^\/ws\//, '') },
};
const loader = Module as unknown as { _load: (req: string, ...rest: unknown[]) => unknown };
const realLoad = loader._load;
loader._load = (req: string, ...rest: unknown[]) => (req === 'vscode' ? vscodeStub : realLoad(req, ...rest));
