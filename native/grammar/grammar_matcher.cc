#include "grammar/grammar_matcher.h"

#include <algorithm>

#include "core/errors.h"

namespace vl2::grammar {

GrammarMatcher::GrammarMatcher(std::shared_ptr<GrammarStates> states, std::vector<std::int32_t> endTokens)
    : states_(std::move(states)), endTokens_(std::move(endTokens)), state_(states_->initial()) {}

const std::vector<std::uint32_t>& GrammarMatcher::allowed() {
  mask_ = *states_->allowed(state_);
  bool any = std::any_of(mask_.begin(), mask_.end(), [](std::uint32_t w) { return w != 0; });
  if (states_->complete(state_)) {
    for (const std::int32_t end : endTokens_) {
      if (end < 0 || static_cast<std::size_t>(end) >= mask_.size() * 32) continue;
      mask_[static_cast<std::size_t>(end) >> 5] |= 1u << (end & 31);
      any = true;
    }
  }
  if (!any)
    fail(ErrorCode::kConstraint,
         "no token of the vocabulary can continue the response format here (the grammar needs text its "
         "tokens cannot spell)");
  return mask_;
}

void GrammarMatcher::accept(std::int32_t token) {
  if (ended_) fail(ErrorCode::kInternal, "a token after the response format ended");
  if (std::find(endTokens_.begin(), endTokens_.end(), token) != endTokens_.end()) {
    if (!states_->complete(state_))
      fail(ErrorCode::kInternal, "an end token before the response format was complete");
    ended_ = true;
    return;
  }
  const std::int32_t next = states_->afterToken(state_, token);
  if (next == GrammarStates::kDead)
    fail(ErrorCode::kInternal, "a token the response format does not allow was sampled");
  state_ = next;
}

}  // namespace vl2::grammar
