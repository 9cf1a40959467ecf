#include "grammar/grammar_matcher.h"

#include <algorithm>

#include "core/errors.h"

namespace vl2::grammar {

GrammarMatcher::GrammarMatcher(std::shared_ptr<GrammarStates> states, std::vector<std::int32_t> endTokens)
    : states_(std::move(states)),
      endTokens_(std::move(endTokens)),
      state_(states_->initial()),
      // Sized once: the backend holds mask() across prepare() calls of later steps' jobs.
      mask_((static_cast<std::size_t>(states_->vocabulary().size()) + 31) / 32, 0) {}

void GrammarMatcher::prepare() noexcept {
  bool computed = false;
  try {
    const auto allowed = states_->allowed(state_);
    std::copy(allowed->begin(), allowed->end(), mask_.begin());
    bool any = std::any_of(mask_.begin(), mask_.end(), [](std::uint32_t w) { return w != 0; });
    const bool complete = states_->complete(state_);
    if (!any && !complete)
      failure_ = std::make_unique<Error>(ErrorCode::kConstraint,
                                         "no token of the vocabulary can continue the response format here "
                                         "(the grammar needs text its tokens cannot spell)");
    if (complete || !any) allowEndTokens();
    computed = true;
  } catch (const Error& error) {
    failure_ = std::make_unique<Error>(error);
  } catch (const std::exception& other) {
    failure_ = std::make_unique<Error>(ErrorCode::kInternal, other.what());
  }
  if (!computed) {  // the end tokens alone, so the step can still sample
    std::fill(mask_.begin(), mask_.end(), 0u);
    allowEndTokens();
  }
}

void GrammarMatcher::allowEndTokens() {
  for (const std::int32_t end : endTokens_) {
    if (end < 0 || static_cast<std::size_t>(end) >= mask_.size() * 32) continue;
    mask_[static_cast<std::size_t>(end) >> 5] |= 1u << (end & 31);
  }
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
