// The panel's HTML: one nonce'd script, styles and fonts from dist/ only. Plain function: tested.
import { randomBytes } from 'node:crypto';

export interface PanelAssets {
  /** `webview.cspSource`. */
  cspSource: string;
  script: string;
  css: string;
  codicons: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64url');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * `default-src 'none'`; scripts only by nonce; styles from the bundle, plus `<style>` elements the
 * bundle itself creates (xterm's renderer does) carrying the same nonce; no inline attributes.
 */
export function panelHtml(assets: PanelAssets, nonce: string, title: string): string {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${assets.cspSource} 'nonce-${nonce}'`,
    `font-src ${assets.cspSource}`,
    `img-src ${assets.cspSource} data:`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${esc(assets.codicons)}" id="vscode-codicon-stylesheet">
<link rel="stylesheet" href="${esc(assets.css)}">
<title>${esc(title)}</title>
</head>
<body>
<div id="root"></div>
<script nonce="${nonce}" src="${esc(assets.script)}"></script>
</body>
</html>`;
}
