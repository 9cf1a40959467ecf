// One request's place in its grammar: the tokens it may sample next (the grammar's, plus the end
// tokens once the grammar is complete) and the token it did sample. A preempted request keeps
// its matcher, so it resumes where it stood.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "grammar/grammar_states.h"

namespace vl2::grammar {

class GrammarMatcher {
 public:
  // endTokens: EOS and the request's stop tokens, allowed exactly when the grammar may end.
  GrammarMatcher(std::shared_ptr<GrammarStates> states, std::vector<std::int32_t> endTokens);

  // Bitmask [ceil(vocabulary / 32)] of the tokens allowed next. Throws Error(kConstraint) when
  // none is (the vocabulary cannot spell what the grammar needs here).
  const std::vector<std::uint32_t>& allowed();
  // Moves past a sampled token; throws Error(kInternal) for one allowed() did not allow.
  void accept(std::int32_t token);
  bool ended() const { return ended_; }

 private:
  std::shared_ptr<GrammarStates> states_;
  std::vector<std::int32_t> endTokens_;
  std::int32_t state_;
  bool ended_ = false;
  std::vector<std::uint32_t> mask_;
};

}  // namespace vl2::grammar
