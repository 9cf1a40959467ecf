// A tokenizer's vocabulary as the bytes each token spells, arranged as a trie so the tokens a
// grammar state allows are found in one walk that shares common prefixes (most of a byte-level
// BPE vocabulary dies after its first byte or two outside free text).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace vl2::grammar {

struct TrieNode {
  std::uint8_t byte = 0;
  std::int32_t firstChild = 0;  // children are contiguous, sorted by byte
  std::int32_t childCount = 0;
  std::int32_t firstToken = 0;  // into tokenIds(): the tokens spelled by the path to this node
  std::int32_t tokenCount = 0;
};

class TokenVocabulary {
 public:
  // bytes: every token's text concatenated; offsets: [size + 1] into bytes; special: [size], 1
  // for added tokens (matched by their text only where a constraint allows them). Tokens with no
  // text (padding ids past the tokenizer) can never be allowed.
  TokenVocabulary(std::vector<std::uint8_t> bytes, std::vector<std::int64_t> offsets,
                  std::vector<std::uint8_t> special);

  std::int32_t size() const { return static_cast<std::int32_t>(special_.size()); }
  std::string_view bytesOf(std::int32_t token) const;
  bool special(std::int32_t token) const { return special_[static_cast<std::size_t>(token)] != 0; }
  const std::vector<TrieNode>& trie() const { return trie_; }  // [0]: the root (empty text)
  const std::vector<std::int32_t>& tokenIds() const { return tokenIds_; }

 private:
  std::vector<std::uint8_t> bytes_;
  std::vector<std::int64_t> offsets_;
  std::vector<std::uint8_t> special_;
  std::vector<TrieNode> trie_;
  std::vector<std::int32_t> tokenIds_;
};

}  // namespace vl2::grammar
