// Where a text can stand in a grammar, as numbered states shared by every request that uses the
// grammar with one vocabulary. A state is the set of stacks of grammar positions the text so far
// allows (a set: the grammar may be ambiguous); its successor per byte and the tokens it allows
// are computed once and kept, so a request that returns to a state (inside a JSON string, after
// each character) reuses its mask. Every call holds the object's lock: states are built lazily
// by whichever request first needs them.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "grammar/grammar.h"
#include "grammar/token_vocabulary.h"

namespace vl2::grammar {

// What the kept successor tables and masks may hold before they are dropped and rebuilt as used.
constexpr std::size_t kStateCacheBytes = std::size_t{256} << 20;

class GrammarStates {
 public:
  static constexpr std::int32_t kDead = 0;  // no text continues from here

  // allowedSpecial: added tokens the grammar may spell (the grounding tags); other special
  // tokens are never allowed inside the grammar.
  GrammarStates(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const TokenVocabulary> vocabulary,
                const std::vector<std::int32_t>& allowedSpecial);

  std::int32_t initial();
  // The state after reading `token`'s bytes (kDead when the grammar refuses them).
  std::int32_t afterToken(std::int32_t state, std::int32_t token);
  // The whole grammar may end here.
  bool complete(std::int32_t state);
  // Bitmask [ceil(vocabulary / 32)] of the tokens whose bytes can continue from `state`.
  std::shared_ptr<const std::vector<std::uint32_t>> allowed(std::int32_t state);

  const TokenVocabulary& vocabulary() const { return *vocabulary_; }
  std::size_t stateCount();

 private:
  struct Frame {
    std::int32_t node;
    std::int32_t parent;  // -1: the bottom of the stack
  };
  struct State {
    std::vector<std::int32_t> stacks;  // sorted ids of stacks whose top can read a byte
    bool complete = false;
    std::vector<std::int32_t> next;  // [256] successor per byte, -1 not computed; empty until used
    std::shared_ptr<const std::vector<std::uint32_t>> mask;
  };

  // What one grammar node allows on its own: the tokens it consumes without its frame ending (or
  // ending exactly at the token's end), and the trie nodes where the frame may end with bytes left.
  struct NodeMasks {
    std::vector<std::uint32_t> accepted;
    std::vector<std::int32_t> popPoints;
  };
  // A frame's parent when a node's tokens are worked out for every context at once.
  static constexpr std::int32_t kUnknownParent = -2;

  std::int32_t frame(std::int32_t node, std::int32_t parent);
  // Sets the bits of the tokens below trie node `from` that `state` continues into; with popPoints,
  // also lists the trie nodes below it where the state may end its frame with bytes left.
  void walk(std::int32_t from, std::int32_t state, std::vector<std::uint32_t>& mask,
            std::vector<std::int32_t>* popPoints);
  std::shared_ptr<const NodeMasks> nodeMasks(std::int32_t node);
  // The state a frame's end returns to: its parent stack, closed.
  std::int32_t afterReturn(std::int32_t parent);
  // Adds every stack reachable from `stack` without reading a byte (calls, returns).
  void close(std::int32_t stack, std::vector<std::int32_t>& ready, std::vector<std::int32_t>& seen,
             bool& complete);
  std::int32_t intern(std::vector<std::int32_t> stacks, bool complete);
  std::int32_t step(std::int32_t state, std::uint8_t byte);
  void spend(std::size_t bytes);

  std::shared_ptr<const Grammar> grammar_;
  std::shared_ptr<const TokenVocabulary> vocabulary_;
  std::vector<std::uint8_t> specialAllowed_;
  std::mutex mutex_;
  std::vector<Frame> frames_;
  std::unordered_map<std::uint64_t, std::int32_t> frameIds_;
  std::vector<State> states_;
  std::unordered_map<std::uint64_t, std::vector<std::int32_t>> stateIds_;         // by hash of stacks
  std::unordered_map<std::int32_t, std::shared_ptr<const NodeMasks>> nodeMasks_;  // by grammar node
  std::unordered_map<std::int32_t, std::int32_t> returnStates_;                   // by parent stack
  std::int32_t initial_ = -1;
  std::size_t cachedBytes_ = 0;
};

}  // namespace vl2::grammar
