// The shape of a NodeModification, which two channels carry to the runner: the panel (webview →
// host) and the control inbox (CLI → the process running the pipeline). Shape only: the runner's
// validateModification judges the values (and says why).
import * as v from 'valibot';
import type { ImageSpec } from './pipeline';
import type { NodeModification } from './runner';
import { closedObject, plain, type Assert, type Same } from './validation';

const StringsSchema = plain(v.record(v.string(), v.string()));
const NullableString = v.nullable(v.string());

export const ImageSpecSchema = v.object({
  name: NullableString,
  dockerfile: NullableString,
  dockerfile_text: NullableString,
  context: NullableString,
  copy_dir: NullableString,
  install_packages: v.array(v.string()),
  install_pip: v.array(v.string()),
  path_map: StringsSchema,
  reference_name: v.exactOptional(v.string()),
  copy_url: v.exactOptional(v.string()),
  copy_branch: v.exactOptional(v.string()),
  install_docker: v.exactOptional(v.boolean()),
  error: v.exactOptional(v.string()),
});

/**
 * Keys a modification may carry; anything else is refused rather than passed to the runner.
 * exactOptional: a key that is present must hold a value (`{ cpu: undefined }` is refused).
 */
const MODIFIABLE = {
  command: v.exactOptional(v.string()),
  cpu: v.exactOptional(v.number()),
  gpu: v.exactOptional(v.number()),
  mem: v.exactOptional(v.number()),
  env: v.exactOptional(StringsSchema),
  max_time: v.exactOptional(v.number()),
  image: v.exactOptional(v.nullable(ImageSpecSchema)),
  skip: v.exactOptional(v.boolean()),
};

export const NodeModificationSchema = plain(closedObject(MODIFIABLE));

// The types stay in pipeline.ts and runner.ts, where they read as part of the pipeline format.
type _ImageSpecAgrees = Assert<Same<ImageSpec, v.InferOutput<typeof ImageSpecSchema>>>;
type _NodeModificationAgrees = Assert<Same<NodeModification, v.InferOutput<typeof NodeModificationSchema>>>;
