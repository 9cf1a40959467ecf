// The grammar dialect of native/grammar/README.md, read into a syntax tree. Every refusal is an
// Error(kConstraint) whose message begins "line L, column C:" (lib/structured reads them back).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace vl2::grammar {

// Most repetitions a bound may ask for: {n,m} copies its operand m times.
constexpr int kMaxRepetition = 1000;

struct Expr {
  enum class Kind { kSequence, kAlternatives, kLiteral, kClass, kRule, kRepeat };
  Kind kind = Kind::kSequence;
  std::vector<Expr> children;  // sequence and alternatives: their parts; repeat: its operand
  std::string literal;         // UTF-8 bytes
  std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges;  // class: code points, inclusive
  bool negated = false;
  std::string rule;  // a reference by name
  int min = 0;
  int max = -1;  // repeat: -1 unbounded
  int line = 0;
  int column = 0;
};

struct RuleSyntax {
  std::string name;
  Expr body;
  int line = 0;
  int column = 0;
};

std::vector<RuleSyntax> parseGrammar(const std::string& text);

// Throws the dialect's refusal for a place in the text.
[[noreturn]] void refuseAt(int line, int column, const std::string& why);

}  // namespace vl2::grammar
