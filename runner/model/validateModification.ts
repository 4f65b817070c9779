import { imageNameProblem } from '../../protocol/imageReference';
import type { NodeModification } from '../../protocol/runner';
import { changedHostField } from './imageChange';
import type { RunNode } from './runTree';

/** Rejects a modification a node cannot take, naming the node and the param. */
export function validateModification(node: RunNode, changes: NodeModification): void {
  const bad = (message: string) => {
    throw new Error(`${node.path}: ${message}`);
  };
  if (changes.command !== undefined) {
    if (!node.isLeaf) bad('only Exec nodes have a command');
    if (typeof changes.command !== 'string' || !changes.command.trim()) bad('command must be a non-empty string');
  }
  if (changes.cpu !== undefined && !(typeof changes.cpu === 'number' && changes.cpu >= 0 && Number.isFinite(changes.cpu))) bad(`cpu must be a number >= 0, got ${String(changes.cpu)}`);
  if (changes.mem !== undefined && !(typeof changes.mem === 'number' && changes.mem > 0 && Number.isFinite(changes.mem))) bad(`mem must be a number of GB > 0, got ${String(changes.mem)}`);
  if (changes.gpu !== undefined && !(Number.isInteger(changes.gpu) && changes.gpu >= 0)) bad(`gpu must be a whole number >= 0, got ${String(changes.gpu)}`);
  if (changes.max_time !== undefined && !(typeof changes.max_time === 'number' && changes.max_time > 0)) bad(`max_time must be seconds > 0, got ${String(changes.max_time)}`);
  if (changes.env !== undefined) {
    if (typeof changes.env !== 'object' || changes.env === null || Array.isArray(changes.env)) bad('env must be an object of strings');
    for (const [k, v] of Object.entries(changes.env)) if (typeof v !== 'string') bad(`env ${k} must be a string`);
  }
  if (changes.skip !== undefined && typeof changes.skip !== 'boolean') bad('skip must be true or false');
  if (changes.image !== undefined) {
    const name = changes.image?.name;
    const problem = name ? imageNameProblem(name) : null;
    if (problem) bad(`image.name "${name}" is not a valid image name: ${problem}`);
    const field = changedHostField(node.params.image, changes.image);
    if (field) bad(`image.${field} cannot be changed by a modification: it decides which host files go into the image, so it stays as the definition set it (a modification may change the image's name, install_packages and install_pip)`);
  }
}
