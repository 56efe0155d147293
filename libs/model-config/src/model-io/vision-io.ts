import type { FloatType } from '@internvl/float-formats';
import type { InternVLConfig } from '../model-config';
import { SYMBOLIC_DIMS, type TensorSpec } from './tensor-spec';

/** Tensor names of vision.onnx. */
export const VISION_IO = { pixelValues: 'pixel_values', imageEmbeds: 'image_embeds' } as const;

/** vision.onnx's input and output, as {@link visionIo} states them. */
export interface VisionIo {
  pixelValues: TensorSpec;
  imageEmbeds: TensorSpec;
}

/**
 * vision.onnx's contract for a config, in `type` (the manifest's visionDtype):
 *
 * - `pixel_values [num_tiles, 3, S, S]`: normalized tiles, S = config.imageSize (448)
 * - `image_embeds [num_tiles, numImageTokens, llm hidden]`: each tile's rows for its <IMG_CONTEXT>
 *   positions (256 per tile after pixel shuffle and mlp1)
 */
export function visionIo(config: InternVLConfig, type: FloatType): VisionIo {
  const S = config.imageSize;
  return {
    pixelValues: { name: VISION_IO.pixelValues, type, dims: [SYMBOLIC_DIMS.tiles, 3, S, S] },
    imageEmbeds: {
      name: VISION_IO.imageEmbeds,
      type,
      dims: [SYMBOLIC_DIMS.tiles, config.numImageTokens, config.llm.hiddenSize],
    },
  };
}
