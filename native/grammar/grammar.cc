#include "grammar/grammar.h"

#include <algorithm>
#include <functional>
#include <unordered_map>

#include "core/errors.h"
#include "grammar/grammar_syntax.h"
#include "grammar/utf8_ranges.h"

namespace vl2::grammar {

// Thompson construction (an automaton with empty moves per rule), then each rule's empty moves
// folded away, then the checks that keep matching finite.
class GrammarCompiler {
 public:
  std::shared_ptr<const Grammar> compile(const std::string& text) {
    syntax_ = parseGrammar(text);
    for (std::size_t r = 0; r < syntax_.size(); ++r) {
      const RuleSyntax& rule = syntax_[r];
      if (!ruleIndex_.emplace(rule.name, static_cast<std::int32_t>(r)).second)
        refuseAt(rule.line, rule.column, "the rule " + rule.name + " is defined twice");
    }
    const auto root = ruleIndex_.find("root");
    if (root == ruleIndex_.end()) refuseAt(1, 1, "the grammar has no root rule");
    std::vector<std::pair<int, int>> ruleEnds;
    for (const RuleSyntax& rule : syntax_) {
      const int start = newNode();
      const int end = build(rule.body, start);
      ruleEnds.emplace_back(start, end);
    }
    auto grammar = std::make_shared<Grammar>();
    grammar->root_ = root->second;
    foldEmptyMoves(ruleEnds, *grammar);
    checkTermination(*grammar);
    return grammar;
  }

 private:
  struct RawByte {
    std::uint8_t lo, hi;
    int target;
  };
  struct RawCall {
    std::int32_t rule;
    int target;
  };
  struct RawNode {
    std::vector<int> empty;
    std::vector<RawByte> bytes;
    std::vector<RawCall> calls;
  };

  int newNode() {
    if (raw_.size() >= kMaxGrammarNodes)
      fail(ErrorCode::kConstraint, "the grammar is too large (over " + std::to_string(kMaxGrammarNodes) +
                                       " automaton nodes once its repetitions are expanded)");
    raw_.emplace_back();
    return static_cast<int>(raw_.size()) - 1;
  }

  // Appends e's automaton after `from`; returns its end node.
  int build(const Expr& e, int from) {
    switch (e.kind) {
      case Expr::Kind::kSequence: {
        int at = from;
        for (const Expr& part : e.children) at = build(part, at);
        return at;
      }
      case Expr::Kind::kAlternatives: {
        const int end = newNode();
        for (const Expr& branch : e.children) {
          const int start = newNode();
          raw_[static_cast<std::size_t>(from)].empty.push_back(start);
          raw_[static_cast<std::size_t>(build(branch, start))].empty.push_back(end);
        }
        return end;
      }
      case Expr::Kind::kLiteral: {
        int at = from;
        for (const char c : e.literal) {
          const int next = newNode();
          const auto byte = static_cast<std::uint8_t>(c);
          raw_[static_cast<std::size_t>(at)].bytes.push_back(RawByte{byte, byte, next});
          at = next;
        }
        return at;
      }
      case Expr::Kind::kClass: return buildClass(e, from);
      case Expr::Kind::kRule: {
        const auto found = ruleIndex_.find(e.rule);
        if (found == ruleIndex_.end()) refuseAt(e.line, e.column, "the rule " + e.rule + " is not defined");
        const int next = newNode();
        raw_[static_cast<std::size_t>(from)].calls.push_back(RawCall{found->second, next});
        return next;
      }
      case Expr::Kind::kRepeat: {
        const Expr& operand = e.children.front();
        int at = from;
        for (int i = 0; i < e.min; ++i) at = build(operand, at);
        if (e.max < 0) {  // a loop: at -> operand -> at, leaving through `end`
          const int loop = newNode();
          raw_[static_cast<std::size_t>(at)].empty.push_back(loop);
          const int back = build(operand, loop);
          raw_[static_cast<std::size_t>(back)].empty.push_back(loop);
          return loop;
        }
        const int end = newNode();
        for (int i = e.min; i < e.max; ++i) {
          raw_[static_cast<std::size_t>(at)].empty.push_back(end);
          at = build(operand, at);
        }
        raw_[static_cast<std::size_t>(at)].empty.push_back(end);
        return end;
      }
    }
    return from;
  }

  int buildClass(const Expr& e, int from) {
    // Code-point ranges, merged, complemented when negated.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges = e.ranges;
    std::sort(ranges.begin(), ranges.end());
    std::vector<std::pair<std::uint32_t, std::uint32_t>> merged;
    for (const auto& r : ranges) {
      if (!merged.empty() && r.first <= merged.back().second + 1) {
        merged.back().second = std::max(merged.back().second, r.second);
      } else {
        merged.push_back(r);
      }
    }
    if (e.negated) {
      std::vector<std::pair<std::uint32_t, std::uint32_t>> complement;
      std::uint32_t next = 0;
      for (const auto& r : merged) {
        if (r.first > next) complement.emplace_back(next, r.first - 1);
        next = r.second + 1;
      }
      if (next <= kMaxCodePoint) complement.emplace_back(next, kMaxCodePoint);
      merged = std::move(complement);
    }
    std::vector<std::vector<ByteRange>> sequences;
    for (const auto& r : merged) appendUtf8Sequences(r.first, r.second, sequences);
    if (sequences.empty()) refuseAt(e.line, e.column, "a character class that matches no character");
    const int end = newNode();
    for (const auto& sequence : sequences) {
      int at = from;
      for (std::size_t i = 0; i < sequence.size(); ++i) {
        const int next = i + 1 == sequence.size() ? end : newNode();
        raw_[static_cast<std::size_t>(at)].bytes.push_back(RawByte{sequence[i].lo, sequence[i].hi, next});
        at = next;
      }
    }
    return end;
  }

  // Each reachable raw node becomes one node holding the edges of everything its empty moves
  // reach; it is final when they reach the rule's end.
  void foldEmptyMoves(const std::vector<std::pair<int, int>>& ruleEnds, Grammar& grammar) {
    std::vector<std::int32_t> compact(raw_.size(), -1);
    std::vector<int> closure;
    std::vector<char> inClosure(raw_.size(), 0);
    for (std::size_t r = 0; r < ruleEnds.size(); ++r) {
      const auto [start, end] = ruleEnds[r];
      std::vector<int> work{start};
      auto idOf = [&](int rawNode) {
        if (compact[static_cast<std::size_t>(rawNode)] < 0) {
          compact[static_cast<std::size_t>(rawNode)] = static_cast<std::int32_t>(grammar.nodes_.size());
          grammar.nodes_.emplace_back();
          work.push_back(rawNode);
        }
        return compact[static_cast<std::size_t>(rawNode)];
      };
      work.clear();
      grammar.ruleStarts_.push_back(idOf(start));
      grammar.ruleNames_.push_back(syntax_[r].name);
      while (!work.empty()) {
        const int at = work.back();
        work.pop_back();
        const std::int32_t id = compact[static_cast<std::size_t>(at)];
        closure.assign(1, at);
        inClosure[static_cast<std::size_t>(at)] = 1;
        for (std::size_t i = 0; i < closure.size(); ++i) {
          for (const int next : raw_[static_cast<std::size_t>(closure[i])].empty) {
            if (inClosure[static_cast<std::size_t>(next)]) continue;
            inClosure[static_cast<std::size_t>(next)] = 1;
            closure.push_back(next);
          }
        }
        GrammarNode node;
        for (const int member : closure) {
          inClosure[static_cast<std::size_t>(member)] = 0;
          if (member == end) node.final = true;
          for (const RawByte& b : raw_[static_cast<std::size_t>(member)].bytes)
            node.bytes.push_back(ByteEdge{b.lo, b.hi, idOf(b.target)});
          for (const RawCall& c : raw_[static_cast<std::size_t>(member)].calls)
            node.calls.push_back(CallEdge{c.rule, idOf(c.target), false});
        }
        grammar.nodes_[static_cast<std::size_t>(id)] = std::move(node);
      }
    }
    for (GrammarNode& node : grammar.nodes_) {
      for (CallEdge& call : node.calls) {
        const GrammarNode& back = grammar.nodes_[static_cast<std::size_t>(call.returnNode)];
        call.tail = back.final && back.bytes.empty() && back.calls.empty();
      }
    }
  }

  // Refuses left recursion (matching would push frames forever without reading a byte) and
  // rules that can never end (a text inside them could never be completed).
  void checkTermination(const Grammar& grammar) {
    const std::size_t rules = syntax_.size();
    auto fixpoint = [&](const std::function<bool(const CallEdge&, const std::vector<char>&)>& usable) {
      std::vector<char> holds(rules, 0);
      for (bool changed = true; changed;) {
        changed = false;
        for (std::size_t r = 0; r < rules; ++r) {
          if (holds[r]) continue;
          // Does a path from the rule's start reach a final node through usable edges?
          std::vector<std::int32_t> work{grammar.ruleStarts_[r]};
          std::vector<char> seen(grammar.nodes_.size(), 0);
          while (!work.empty() && !holds[r]) {
            const std::int32_t at = work.back();
            work.pop_back();
            if (seen[static_cast<std::size_t>(at)]) continue;
            seen[static_cast<std::size_t>(at)] = 1;
            const GrammarNode& node = grammar.nodes_[static_cast<std::size_t>(at)];
            if (node.final) {
              holds[r] = 1;
              changed = true;
              break;
            }
            for (const CallEdge& c : node.calls)
              if (usable(c, holds)) work.push_back(c.returnNode);
            if (usable(CallEdge{-1, 0, false}, holds))
              for (const ByteEdge& b : node.bytes) work.push_back(b.target);
          }
        }
      }
      return holds;
    };
    // Productive: some finite text completes the rule. Byte edges are usable (rule -1).
    const std::vector<char> productive = fixpoint([](const CallEdge& c, const std::vector<char>& holds) {
      return c.rule < 0 || holds[static_cast<std::size_t>(c.rule)];
    });
    // Nullable: the empty text completes it. Only calls of nullable rules are usable.
    const std::vector<char> nullable = fixpoint([](const CallEdge& c, const std::vector<char>& holds) {
      return c.rule >= 0 && holds[static_cast<std::size_t>(c.rule)];
    });
    for (std::size_t r = 0; r < rules; ++r) {
      if (!productive[r])
        refuseAt(syntax_[r].line, syntax_[r].column, "the rule " + syntax_[r].name + " can never end");
    }
    // Left calls: rules called before any byte is read; a cycle among them is left recursion.
    std::vector<std::vector<std::int32_t>> leftCalls(rules);
    for (std::size_t r = 0; r < rules; ++r) {
      std::vector<std::int32_t> work{grammar.ruleStarts_[r]};
      std::vector<char> seen(grammar.nodes_.size(), 0);
      while (!work.empty()) {
        const std::int32_t at = work.back();
        work.pop_back();
        if (seen[static_cast<std::size_t>(at)]) continue;
        seen[static_cast<std::size_t>(at)] = 1;
        for (const CallEdge& c : grammar.nodes_[static_cast<std::size_t>(at)].calls) {
          leftCalls[r].push_back(c.rule);
          if (nullable[static_cast<std::size_t>(c.rule)]) work.push_back(c.returnNode);
        }
      }
    }
    std::vector<int> state(rules, 0);  // 0 unvisited, 1 on the path, 2 done
    std::function<void(std::size_t)> visit = [&](std::size_t r) {
      state[r] = 1;
      for (const std::int32_t callee : leftCalls[r]) {
        const auto c = static_cast<std::size_t>(callee);
        if (state[c] == 1)
          refuseAt(syntax_[c].line, syntax_[c].column,
                   "the rule " + syntax_[c].name +
                       " is left-recursive (it reaches itself before reading a character)");
        if (state[c] == 0) visit(c);
      }
      state[r] = 2;
    };
    for (std::size_t r = 0; r < rules; ++r)
      if (state[r] == 0) visit(r);
  }

  std::vector<RuleSyntax> syntax_;
  std::unordered_map<std::string, std::int32_t> ruleIndex_;
  std::vector<RawNode> raw_;
};

std::shared_ptr<const Grammar> Grammar::compile(const std::string& text) {
  return GrammarCompiler().compile(text);
}

}  // namespace vl2::grammar
