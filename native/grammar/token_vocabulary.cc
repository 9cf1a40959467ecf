#include "grammar/token_vocabulary.h"

#include <algorithm>
#include <deque>
#include <tuple>

#include "core/errors.h"

namespace vl2::grammar {

TokenVocabulary::TokenVocabulary(std::vector<std::uint8_t> bytes, std::vector<std::int64_t> offsets,
                                 std::vector<std::uint8_t> special)
    : bytes_(std::move(bytes)), offsets_(std::move(offsets)), special_(std::move(special)) {
  if (offsets_.size() != special_.size() + 1)
    fail(ErrorCode::kInvalidArgument, "a vocabulary needs one offset per token plus one");
  for (std::size_t i = 0; i + 1 < offsets_.size(); ++i) {
    if (offsets_[i] < 0 || offsets_[i] > offsets_[i + 1] ||
        offsets_[i + 1] > static_cast<std::int64_t>(bytes_.size()))
      fail(ErrorCode::kInvalidArgument, "vocabulary offsets must rise within the token bytes");
  }
  // Tokens sorted by text; a node's tokens are a run of that order, its children its sub-runs.
  std::vector<std::int32_t> order;
  for (std::int32_t t = 0; t < size(); ++t)
    if (!bytesOf(t).empty()) order.push_back(t);
  std::sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
    return std::make_tuple(bytesOf(a), a) < std::make_tuple(bytesOf(b), b);
  });
  tokenIds_.reserve(order.size());
  struct Pending {
    std::int32_t node;
    std::size_t begin, end, depth;
  };
  trie_.push_back(TrieNode{});
  std::deque<Pending> queue{Pending{0, 0, order.size(), 0}};
  while (!queue.empty()) {
    const Pending p = queue.front();
    queue.pop_front();
    std::size_t at = p.begin;
    TrieNode& node = trie_[static_cast<std::size_t>(p.node)];
    node.firstToken = static_cast<std::int32_t>(tokenIds_.size());
    while (at < p.end && bytesOf(order[at]).size() == p.depth) tokenIds_.push_back(order[at++]);
    node.tokenCount = static_cast<std::int32_t>(tokenIds_.size()) - node.firstToken;
    node.firstChild = static_cast<std::int32_t>(trie_.size());
    std::int32_t children = 0;
    while (at < p.end) {
      const auto byte = static_cast<std::uint8_t>(bytesOf(order[at])[p.depth]);
      std::size_t runEnd = at;
      while (runEnd < p.end && static_cast<std::uint8_t>(bytesOf(order[runEnd])[p.depth]) == byte) runEnd++;
      TrieNode child;
      child.byte = byte;
      trie_.push_back(child);
      queue.push_back(Pending{static_cast<std::int32_t>(trie_.size()) - 1, at, runEnd, p.depth + 1});
      children++;
      at = runEnd;
    }
    trie_[static_cast<std::size_t>(p.node)].childCount = children;
  }
}

std::string_view TokenVocabulary::bytesOf(std::int32_t token) const {
  const auto t = static_cast<std::size_t>(token);
  return {reinterpret_cast<const char*>(bytes_.data()) + offsets_[t],
          static_cast<std::size_t>(offsets_[t + 1] - offsets_[t])};
}

}  // namespace vl2::grammar
