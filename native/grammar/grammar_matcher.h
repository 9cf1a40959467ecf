// One request's place in its grammar: the tokens it may sample next (the grammar's, plus the end
// tokens once the grammar is complete) and the token it did sample. A preempted request keeps
// its matcher, so it resumes where it stood.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/errors.h"
#include "grammar/grammar_states.h"

namespace vl2::grammar {

class GrammarMatcher {
 public:
  // endTokens: EOS and the request's stop tokens, allowed exactly when the grammar may end.
  GrammarMatcher(std::shared_ptr<GrammarStates> states, std::vector<std::int32_t> endTokens);

  // Computes the tokens allowed next into mask(); may run on another thread than accept() (the
  // scheduler's mask worker, beside the forward pass), never at the same time. Where no token can
  // continue (the vocabulary cannot spell what the grammar needs) failure() says so and only the
  // end tokens stay allowed, so the step can still sample; the request then ends with the failure.
  void prepare() noexcept;
  // Bitmask [ceil(vocabulary / 32)] of the tokens allowed next, as prepare() left it.
  const std::uint32_t* mask() const { return mask_.data(); }
  const Error* failure() const { return failure_.get(); }
  // Moves past a sampled token; throws Error(kInternal) for one prepare() did not allow.
  void accept(std::int32_t token);
  bool ended() const { return ended_; }

 private:
  void allowEndTokens();

  std::shared_ptr<GrammarStates> states_;
  std::vector<std::int32_t> endTokens_;
  std::int32_t state_;
  bool ended_ = false;
  std::vector<std::uint32_t> mask_;
  std::unique_ptr<Error> failure_;
};

}  // namespace vl2::grammar
