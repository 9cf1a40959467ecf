#include "grammar/grammar_states.h"

#include <algorithm>

#include "core/errors.h"

namespace vl2::grammar {

GrammarStates::GrammarStates(std::shared_ptr<const Grammar> grammar,
                             std::shared_ptr<const TokenVocabulary> vocabulary,
                             const std::vector<std::int32_t>& allowedSpecial)
    : grammar_(std::move(grammar)), vocabulary_(std::move(vocabulary)) {
  specialAllowed_.assign(static_cast<std::size_t>(vocabulary_->size()), 0);
  for (const std::int32_t id : allowedSpecial) {
    if (id < 0 || id >= vocabulary_->size())
      fail(ErrorCode::kInvalidArgument, "an allowed special token id is outside the vocabulary");
    specialAllowed_[static_cast<std::size_t>(id)] = 1;
  }
  states_.push_back(State{});  // kDead
}

std::int32_t GrammarStates::frame(std::int32_t node, std::int32_t parent) {
  const std::uint64_t key = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(node)) << 32) |
                            static_cast<std::uint32_t>(parent);
  const auto found = frameIds_.find(key);
  if (found != frameIds_.end()) return found->second;
  const auto id = static_cast<std::int32_t>(frames_.size());
  frames_.push_back(Frame{node, parent});
  frameIds_.emplace(key, id);
  return id;
}

void GrammarStates::close(std::int32_t stack, std::vector<std::int32_t>& ready,
                          std::vector<std::int32_t>& seen, bool& complete) {
  std::vector<std::int32_t> work{stack};
  while (!work.empty()) {
    const std::int32_t at = work.back();
    work.pop_back();
    if (std::find(seen.begin(), seen.end(), at) != seen.end()) continue;
    seen.push_back(at);
    const Frame f = frames_[static_cast<std::size_t>(at)];
    const GrammarNode& node = grammar_->node(f.node);
    if (!node.bytes.empty()) ready.push_back(at);
    for (const CallEdge& call : node.calls) {
      const std::int32_t start = grammar_->ruleStart(call.rule);
      work.push_back(call.tail ? frame(start, f.parent) : frame(start, frame(call.returnNode, f.parent)));
    }
    if (node.final) {
      if (f.parent >= 0) {
        work.push_back(f.parent);
      } else {
        complete = true;
      }
    }
  }
}

std::int32_t GrammarStates::intern(std::vector<std::int32_t> stacks, bool complete) {
  std::sort(stacks.begin(), stacks.end());
  stacks.erase(std::unique(stacks.begin(), stacks.end()), stacks.end());
  if (stacks.empty() && !complete) return kDead;
  std::uint64_t hash = complete ? 0x9E3779B97F4A7C15ull : 0;
  for (const std::int32_t s : stacks) hash = (hash ^ static_cast<std::uint64_t>(s)) * 0x100000001B3ull;
  std::vector<std::int32_t>& bucket = stateIds_[hash];
  for (const std::int32_t id : bucket) {
    const State& state = states_[static_cast<std::size_t>(id)];
    if (state.complete == complete && state.stacks == stacks) return id;
  }
  const auto id = static_cast<std::int32_t>(states_.size());
  State state;
  state.stacks = std::move(stacks);
  state.complete = complete;
  states_.push_back(std::move(state));
  bucket.push_back(id);
  return id;
}

std::int32_t GrammarStates::step(std::int32_t state, std::uint8_t byte) {
  if (state == kDead) return kDead;
  {
    if (states_[static_cast<std::size_t>(state)].next.empty()) spend(256 * sizeof(std::int32_t));
    State& s = states_[static_cast<std::size_t>(state)];
    if (s.next.empty()) s.next.assign(256, -1);
    if (s.next[byte] >= 0) return s.next[byte];
  }
  std::vector<std::int32_t> ready;
  std::vector<std::int32_t> seen;
  bool complete = false;
  const std::vector<std::int32_t> stacks = states_[static_cast<std::size_t>(state)].stacks;
  for (const std::int32_t stack : stacks) {
    const Frame f = frames_[static_cast<std::size_t>(stack)];
    for (const ByteEdge& edge : grammar_->node(f.node).bytes) {
      if (byte >= edge.lo && byte <= edge.hi) close(frame(edge.target, f.parent), ready, seen, complete);
    }
  }
  const std::int32_t next = intern(std::move(ready), complete);
  State& s = states_[static_cast<std::size_t>(state)];  // interning may have moved the states
  if (!s.next.empty()) s.next[byte] = next;
  return next;
}

void GrammarStates::spend(std::size_t bytes) {
  cachedBytes_ += bytes;
  if (cachedBytes_ <= kStateCacheBytes) return;
  // Dropped tables are rebuilt on use; state ids stay valid, so requests keep their place.
  for (State& s : states_) {
    s.next.clear();
    s.next.shrink_to_fit();
    s.mask.reset();
  }
  nodeMasks_.clear();
  cachedBytes_ = bytes;
}

std::int32_t GrammarStates::initial() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (initial_ < 0) {
    std::vector<std::int32_t> ready;
    std::vector<std::int32_t> seen;
    bool complete = false;
    close(frame(grammar_->rootStart(), -1), ready, seen, complete);
    initial_ = intern(std::move(ready), complete);
  }
  return initial_;
}

std::int32_t GrammarStates::afterToken(std::int32_t state, std::int32_t token) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (token < 0 || token >= vocabulary_->size()) return kDead;
  if (vocabulary_->special(token) && !specialAllowed_[static_cast<std::size_t>(token)]) return kDead;
  const std::string_view bytes = vocabulary_->bytesOf(token);
  if (bytes.empty()) return kDead;
  for (const char c : bytes) {
    state = step(state, static_cast<std::uint8_t>(c));
    if (state == kDead) break;
  }
  return state;
}

bool GrammarStates::complete(std::int32_t state) {
  std::lock_guard<std::mutex> lock(mutex_);
  return states_[static_cast<std::size_t>(state)].complete;
}

std::size_t GrammarStates::stateCount() {
  std::lock_guard<std::mutex> lock(mutex_);
  return states_.size();
}

void GrammarStates::walk(std::int32_t from, std::int32_t state, std::vector<std::uint32_t>& mask,
                         std::vector<std::int32_t>* popPoints) {
  const std::vector<TrieNode>& trie = vocabulary_->trie();
  const std::vector<std::int32_t>& ids = vocabulary_->tokenIds();
  // Depth-first over the trie; a subtree is skipped as soon as its prefix is refused.
  std::vector<std::pair<std::int32_t, std::int32_t>> work{{from, state}};
  while (!work.empty()) {
    const auto [at, at_state] = work.back();
    work.pop_back();
    const TrieNode& node = trie[static_cast<std::size_t>(at)];
    for (std::int32_t c = node.firstChild; c < node.firstChild + node.childCount; ++c) {
      const TrieNode& child = trie[static_cast<std::size_t>(c)];
      const std::int32_t next = step(at_state, child.byte);
      if (next == kDead) continue;
      for (std::int32_t i = child.firstToken; i < child.firstToken + child.tokenCount; ++i) {
        const std::int32_t token = ids[static_cast<std::size_t>(i)];
        if (vocabulary_->special(token) && !specialAllowed_[static_cast<std::size_t>(token)]) continue;
        mask[static_cast<std::size_t>(token) >> 5] |= 1u << (token & 31);
      }
      if (child.childCount == 0) continue;
      if (popPoints && states_[static_cast<std::size_t>(next)].complete) popPoints->push_back(c);
      work.emplace_back(c, next);
    }
  }
}

std::shared_ptr<const GrammarStates::NodeMasks> GrammarStates::nodeMasks(std::int32_t node) {
  const auto kept = nodeMasks_.find(node);
  if (kept != nodeMasks_.end()) return kept->second;
  auto masks = std::make_shared<NodeMasks>();
  masks->accepted.assign((static_cast<std::size_t>(vocabulary_->size()) + 31) / 32, 0);
  // The node alone on a stack whose parent is unknown: "complete" there means the frame may end.
  const std::int32_t alone = intern({frame(node, kUnknownParent)}, false);
  walk(0, alone, masks->accepted, &masks->popPoints);
  spend(masks->accepted.size() * sizeof(std::uint32_t) + masks->popPoints.size() * sizeof(std::int32_t));
  nodeMasks_.emplace(node, masks);
  return masks;
}

std::int32_t GrammarStates::afterReturn(std::int32_t parent) {
  const auto kept = returnStates_.find(parent);
  if (kept != returnStates_.end()) return kept->second;
  std::vector<std::int32_t> ready;
  std::vector<std::int32_t> seen;
  bool complete = false;
  close(parent, ready, seen, complete);
  const std::int32_t state = intern(std::move(ready), complete);
  returnStates_.emplace(parent, state);
  return state;
}

std::shared_ptr<const std::vector<std::uint32_t>> GrammarStates::allowed(std::int32_t state) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto& kept = states_[static_cast<std::size_t>(state)].mask) return kept;
  auto mask = std::make_shared<std::vector<std::uint32_t>>(
      (static_cast<std::size_t>(vocabulary_->size()) + 31) / 32, 0);
  // Per stack: the tokens its top node takes without leaving its frame (kept per node, so the walk
  // over free text is done once per grammar, not once per context), then, where the frame may end
  // inside a token, the rest of that token from the state its parent returns to.
  const std::vector<std::int32_t> stacks = states_[static_cast<std::size_t>(state)].stacks;
  for (const std::int32_t stack : stacks) {
    const Frame f = frames_[static_cast<std::size_t>(stack)];
    const std::shared_ptr<const NodeMasks> local = nodeMasks(f.node);
    for (std::size_t w = 0; w < mask->size(); ++w) (*mask)[w] |= local->accepted[w];
    if (f.parent < 0) continue;  // the root's frame: once it ends, nothing may follow
    const std::int32_t returned = afterReturn(f.parent);
    for (const std::int32_t point : local->popPoints) walk(point, returned, *mask, nullptr);
  }
  spend(mask->size() * sizeof(std::uint32_t));
  states_[static_cast<std::size_t>(state)].mask = mask;
  return mask;
}

}  // namespace vl2::grammar
