/**
 * deepseek-vl2: run the DeepSeek-VL2 vision-language models inside Node.js.
 * This file is the whole public API; everything not re-exported here is internal.
 */
export { type BackendInfo, backends, type CudaDevice, nativeVersion } from './backends.js';
export type { BatchInput, BatchOptions, BatchRequest, BatchResult } from './batch.js';
export {
  type CheckpointTable,
  type LanguageConfig,
  type ModelConfig,
  openCheckpoint,
  type ProjectorConfig,
  type TensorEntry,
  type VisionConfig,
} from './checkpoint/index.js';
export { EngineModel } from './engine/native-model.js';
export type {
  CpuKernels,
  CpuPrecision,
  EngineInfo,
  EngineOptions,
  EnginePrompt,
  PrefillResult,
} from './engine/native-types.js';
export {
  AbortError,
  CheckpointError,
  ConstraintError,
  ContextOverflowError,
  fromNativeError,
  HubError,
  type HubErrorCode,
  ImageError,
  InvalidArgumentError,
  NativeMissingError,
  QueueError,
  UnsupportedError,
  Vl2Error,
  type Vl2ErrorCode,
} from './errors.js';
export { drawGrounding, type GroundedObject, type GroundingBox, parseGrounding } from './grounding.js';
export { type PullOptions, type PullProgress, type PullResult, pullModel } from './hub/pull.js';
export type { HubOptions } from './hub/settings.js';
export { loadModel, type ModelLoadOptions } from './load-model.js';
export {
  type ChatChunk,
  type Device,
  type FinishReason,
  type GenerateResult,
  type LoadedModel,
  type LoadOptions,
  type LoadProgress,
  Model,
  type SchedulerStats,
  type Timings,
  type Usage,
} from './model.js';
export type { RemoteFetchOptions, ResolvedAddress } from './net/safe-fetch.js';
export type { GenerateOptions } from './options.js';
export { PreparedPrompt } from './prepared.js';
export {
  ByteTokenizer,
  type ChatMessage,
  type ContentPart,
  type CreateProcessorOptions,
  createProcessor,
  HfTokenizer,
  type ImageInput,
  type ImageLoadOptions,
  imageDecoder,
  imageThreads,
  loadImage,
  type ProcessedPrompt,
  type ProcessOptions,
  Processor,
  type ProcessorConfig,
  setImageThreads,
  type TextTokenizer,
} from './processor/index.js';
export type { ReplicaOptions } from './replicas/devices.js';
export { type ReplicaInfo, type ReplicatedInfo, ReplicatedModel } from './replicas/replicated-model.js';
export { createServer, type ServerOptions } from './server/index.js';
export { type JsonSchemaFormat, jsonSchema } from './structured/json-schema-format.js';
export type { ResponseFormat } from './structured/response-format.js';
