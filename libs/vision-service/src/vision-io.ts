/** Tensor names of vision.onnx (written by the converter's vision graph). */
export const VISION_IO = { pixelValues: 'pixel_values', imageEmbeds: 'image_embeds' } as const;
