// Docker image references, by the grammar of distribution/reference (what `docker pull` accepts):
// [DOMAIN[:PORT]/]PATH[/PATH...][:TAG][@DIGEST], PATH components lowercase. Checked before an
// engine is asked: a malformed name otherwise fails inside the HTTP client (a space) or as an
// engine's 400, and reads as a Docker problem. Pure: the runner and the panel's form share it.

const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const REPOSITORY = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
/** An image id, which engines take wherever they take a name. */
const IMAGE_ID = /^(?:sha256:)?[a-f0-9]{64}$/;
const REPOSITORY_MAX = 255;

/** Why `ref` is not an image reference an engine would take, or null when it is one. */
export function imageNameProblem(ref: string): string | null {
  if (!ref) return 'it is empty';
  if (/\s/.test(ref)) return 'it contains whitespace';
  if (IMAGE_ID.test(ref)) return null;
  const at = ref.indexOf('@');
  const named = at < 0 ? ref : ref.slice(0, at);
  if (at >= 0 && !DIGEST.test(ref.slice(at + 1))) return `the digest "${ref.slice(at + 1)}" is not ALGORITHM:HEX (e.g. sha256:…)`;
  const colon = named.lastIndexOf(':');
  const tagged = colon > named.lastIndexOf('/');
  const repository = tagged ? named.slice(0, colon) : named;
  if (tagged && !TAG.test(named.slice(colon + 1))) {
    return `the tag "${named.slice(colon + 1)}" is not one: up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"`;
  }
  if (repository.length > REPOSITORY_MAX) return `the repository name is longer than ${REPOSITORY_MAX} characters`;
  if (REPOSITORY.test(repository)) return null;
  if (REPOSITORY.test(repository.toLowerCase())) return `repository names must be lowercase ("${repository}")`;
  return `"${repository}" is not a repository name: lowercase letters and digits, in parts separated by "/", after an optional registry (host[:port]/), with ".", "_", "__" or "-" between letters and digits`;
}
