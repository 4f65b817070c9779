// A run's arguments (the pipeline function's `--name=value` words) as people read them: in the
// sidebar's tooltip and the panel's header.

/** Short text of a run's arguments: `n=5, name="Ada Lovelace"` (bare words as they are). */
export function describeArguments(args: readonly string[] | undefined): string {
  return (args ?? [])
    .map((word) => {
      const m = /^--([^=]+)=(.*)$/s.exec(word);
      if (!m) return showValue(word);
      return `${m[1]}=${showValue(m[2]!)}`;
    })
    .join(', ');
}

function showValue(text: string): string {
  return text === '' || /[\s,"']/.test(text) ? JSON.stringify(text) : text;
}

/** `name(n=5)`: a pipeline function with the arguments of a run. */
export function callText(name: string, args: readonly string[] | undefined): string {
  return args?.length ? `${name}(${describeArguments(args)})` : name;
}
