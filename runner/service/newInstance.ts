import type { PipelineDocument } from '../../protocol/pipeline';
import { PipelineRun } from '../pipelineRun';
import { imageMapFromSources, USER_DEFAULT_IMAGE, type RunContextOptions } from '../runContext';
import type { PipelineStore } from '../store/pipelineStore';

/**
 * A client's new pipeline instance for the runner service: stored with the default image and image
 * map this client's options and environment give (a bad map entry is refused before anything is
 * stored), then handed to `open`. When that fails before anyone runs it (Docker did not answer,
 * the service did not start), the empty instance is deleted.
 */
export async function withNewInstance<T>(
  doc: PipelineDocument,
  store: PipelineStore,
  options: RunContextOptions,
  args: readonly string[],
  open: (id: string) => Promise<T>,
): Promise<T> {
  const imageMap = imageMapFromSources({ env: options.imageMapEnv ?? process.env.PIPEWRIGHT_IMAGE_MAP, setting: options.imageMapSetting, flags: options.imageMapFlags });
  const defaultImage = options.defaultImage || process.env.PIPEWRIGHT_DEFAULT_IMAGE || USER_DEFAULT_IMAGE;
  const meta = PipelineRun.prepare(doc, store, { defaultImage, imageMap: imageMap.entries.map((e) => `${e.from}=${e.to}`), args: [...args] });
  try {
    return await open(meta.id);
  } catch (err) {
    if (!store.liveOwner(meta.id)) store.delete(meta.id);
    throw err;
  }
}
