import * as vscode from 'vscode';
import { isPanelState } from '../../protocol/webviewMessages';
import { PipelinePanel, type PanelDeps } from './pipelinePanel';

/** Restores the pipeline panels that were open when the window closed, with their selection. */
export class PipelinePanelSerializer implements vscode.WebviewPanelSerializer<unknown> {
  constructor(private readonly deps: PanelDeps) {}

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    // A panel that never got to say which pipeline it shows has nothing to restore.
    if (!isPanelState(state)) return panel.dispose();
    await PipelinePanel.revive(this.deps, panel, state);
  }
}
