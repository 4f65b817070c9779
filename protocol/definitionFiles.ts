/**
 * What makes a Python file a pipeline definition, for the language server and the extension alike:
 * it imports pipewright, conducto or clearml. A cheap first look (no process); the SDK's ast
 * outline and the evaluation have the last word.
 */
const SDK_IMPORT = /^[ \t]*(?:from[ \t]+(?:pipewright|conducto|clearml)\b|import[ \t]+[^#\n]*\b(?:pipewright|conducto|clearml)\b)/m;

/** Triple-quoted strings (docstrings): an import written in one is an example, not an import. */
const TRIPLE_QUOTED = /("""|''')[\s\S]*?(?:\1|$(?![\s\S]))/g;

export function importsPipelineSdk(text: string): boolean {
  return SDK_IMPORT.test(text.replace(TRIPLE_QUOTED, ''));
}
