// A whole file mapped read-only into memory. Checkpoint shards are used in
// place through these mappings: bf16 weights are never copied on the CPU.
#pragma once

#include <cstddef>
#include <string>

namespace vl2 {

class MappedFile {
 public:
  explicit MappedFile(const std::string& path);  // throws Error(kCheckpoint) naming the file
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  const unsigned char* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  std::string path_;
  const unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace vl2
