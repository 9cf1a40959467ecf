// A grammar compiled for matching one byte at a time: each rule an automaton without empty moves,
// whose edges read a byte range or call another rule. A stack of positions in these automata
// (grammar_state.h) is where a text stands. Compiling refuses what would make matching loop or
// trap: undefined or duplicate rules, left recursion, rules that can never end.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace vl2::grammar {

// Most automaton nodes a grammar may compile to (repetitions copy their operand).
constexpr std::size_t kMaxGrammarNodes = 1 << 20;

struct ByteEdge {
  std::uint8_t lo = 0;
  std::uint8_t hi = 0;
  std::int32_t target = 0;
};

struct CallEdge {
  std::int32_t rule = 0;
  std::int32_t returnNode = 0;
  // The return node only ends its rule: the callee may replace the caller's frame (so a
  // right-recursive rule matches in constant stack depth).
  bool tail = false;
};

struct GrammarNode {
  bool final = false;  // its rule may end here
  std::vector<ByteEdge> bytes;
  std::vector<CallEdge> calls;
};

class Grammar {
 public:
  // Throws Error(kConstraint) with the line and column of what it refuses.
  static std::shared_ptr<const Grammar> compile(const std::string& text);

  const GrammarNode& node(std::int32_t id) const { return nodes_[static_cast<std::size_t>(id)]; }
  std::int32_t ruleStart(std::int32_t rule) const { return ruleStarts_[static_cast<std::size_t>(rule)]; }
  std::int32_t rootStart() const { return ruleStart(root_); }
  std::size_t nodeCount() const { return nodes_.size(); }

 private:
  std::vector<GrammarNode> nodes_;
  std::vector<std::int32_t> ruleStarts_;
  std::vector<std::string> ruleNames_;
  std::int32_t root_ = 0;
  friend class GrammarCompiler;
};

}  // namespace vl2::grammar
