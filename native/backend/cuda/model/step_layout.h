// One forward step as the CUDA backend's kernels see it: the step's indices uploaded to the
// device, and what the host knows about them (which kernel takes which rows).
#pragma once

#include <cstdint>
#include <vector>

#include "backend/cuda/attention/attention.h"
#include "backend/cuda/model/cuda_backend.h"

namespace vl2::cuda {

// The step's indices on the device, and what the host knows about them.
struct CudaBackend::StepLayout {
  int rows = 0, segments = 0, maxBlocks = 0, maxSeqLen = 0;
  int realRows = 0;             // rows before padding (graphs pad decode batches)
  float* embeddings = nullptr;  // [rows, hidden] fp32 input
  // Segments [firstDecodeSegment, segments) add one token each (rows from firstDecodeRow on):
  // they go to a decode kernel together; the prompt chunks before them one by one.
  int firstDecodeSegment = 0, firstDecodeRow = 0;
  std::vector<BatchSegment> hostSegments;
  const int32_t* positions = nullptr;    // [rows]
  const int32_t* slotRows = nullptr;     // [rows] cache row of each new token: block * 64 + offset
  const int32_t* rowSequence = nullptr;  // [rows] segment of each row
  const int32_t* keyCount = nullptr;     // [rows] keys each row attends: its position + 1
  const int32_t* seqLens = nullptr;      // [segments] tokens in the cache after the step
  const int32_t* blockTable = nullptr;   // [segments, maxBlocks]
  const int32_t* lastRows = nullptr;     // [segments] each segment's last row
  // The paged view of the decode segments alone.
  PagedCache decodeTail() const {
    return PagedCache{blockTable + static_cast<std::size_t>(firstDecodeSegment) * maxBlocks, maxBlocks,
                      seqLens + firstDecodeSegment, maxSeqLen};
  }
};

}  // namespace vl2::cuda
