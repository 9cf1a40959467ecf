#include "grammar/grammar_syntax.h"

#include <cctype>

#include "core/errors.h"
#include "grammar/utf8_ranges.h"

namespace vl2::grammar {

void refuseAt(int line, int column, const std::string& why) {
  fail(ErrorCode::kConstraint,
       "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + why);
}

namespace {

void appendUtf8(std::uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool isNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool isNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

class Parser {
 public:
  explicit Parser(const std::string& text) : text_(text) {}

  std::vector<RuleSyntax> parse() {
    std::vector<RuleSyntax> rules;
    skipSpace();
    while (!atEnd()) {
      RuleSyntax rule;
      rule.line = line_;
      rule.column = column_;
      if (!isNameStart(peek())) refuse("expected a rule name");
      rule.name = name();
      skipSpace();
      if (text_.compare(pos_, 3, "::=") != 0) refuse("expected ::= after the rule name " + rule.name);
      advance(3);
      rule.body = alternatives();
      if (!atEnd() && peek() == ')') refuse("unmatched )");
      rules.push_back(std::move(rule));
      skipSpace();
    }
    return rules;
  }

 private:
  bool atEnd() const { return pos_ >= text_.size(); }
  char peek(std::size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }
  [[noreturn]] void refuse(const std::string& why) const { refuseAt(line_, column_, why); }

  void advance(std::size_t count = 1) {
    for (std::size_t i = 0; i < count && pos_ < text_.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(text_[pos_++]);
      if (c == '\n') {
        line_++;
        column_ = 1;
      } else if ((c & 0xC0) != 0x80) {  // columns count characters, not continuation bytes
        column_++;
      }
    }
  }

  void skipSpace() {
    while (!atEnd()) {
      const char c = peek();
      if (c == '#') {
        while (!atEnd() && peek() != '\n') advance();
      } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        advance();
      } else {
        break;
      }
    }
  }

  std::string name() {
    const std::size_t start = pos_;
    while (!atEnd() && isNameChar(peek())) advance();
    return text_.substr(start, pos_ - start);
  }

  // A rule body ends where the next definition (`name ::=`) begins.
  bool atRuleStart() const {
    if (!isNameStart(peek())) return false;
    std::size_t at = pos_;
    while (at < text_.size() && isNameChar(text_[at])) at++;
    while (at < text_.size()) {
      const char c = text_[at];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        at++;
      } else if (c == '#') {
        while (at < text_.size() && text_[at] != '\n') at++;
      } else {
        break;
      }
    }
    return text_.compare(at, 3, "::=") == 0;
  }

  Expr alternatives() {
    Expr alt;
    alt.kind = Expr::Kind::kAlternatives;
    alt.line = line_;
    alt.column = column_;
    alt.children.push_back(sequence());
    while (!atEnd() && peek() == '|') {
      advance();
      alt.children.push_back(sequence());
    }
    if (alt.children.size() == 1) return std::move(alt.children.front());
    return alt;
  }

  Expr sequence() {
    Expr seq;
    seq.kind = Expr::Kind::kSequence;
    seq.line = line_;
    seq.column = column_;
    for (;;) {
      skipSpace();
      if (atEnd() || peek() == '|' || peek() == ')' || atRuleStart()) break;
      seq.children.push_back(postfixed());
    }
    if (seq.children.size() == 1) return std::move(seq.children.front());
    return seq;
  }

  Expr postfixed() {
    Expr operand = primary();
    for (;;) {
      const char c = peek();
      const int line = line_;
      const int column = column_;
      int min = 0;
      int max = -1;
      if (c == '*') {
        advance();
      } else if (c == '+') {
        advance();
        min = 1;
      } else if (c == '?') {
        advance();
        max = 1;
      } else if (c == '{') {
        advance();
        skipSpace();
        min = number();
        skipSpace();
        max = min;
        if (peek() == ',') {
          advance();
          skipSpace();
          max = peek() == '}' ? -1 : number();
          skipSpace();
        }
        if (peek() != '}') refuse("expected } to close the repetition");
        advance();
        if (min > kMaxRepetition || max > kMaxRepetition)
          refuseAt(line, column, "a repetition bound is over " + std::to_string(kMaxRepetition));
        if (max >= 0 && max < min) refuseAt(line, column, "a repetition {n,m} has m < n");
      } else {
        return operand;
      }
      Expr repeat;
      repeat.kind = Expr::Kind::kRepeat;
      repeat.line = line;
      repeat.column = column;
      repeat.min = min;
      repeat.max = max;
      repeat.children.push_back(std::move(operand));
      operand = std::move(repeat);
    }
  }

  int number() {
    if (!std::isdigit(static_cast<unsigned char>(peek()))) refuse("expected a number in the repetition");
    long value = 0;
    while (std::isdigit(static_cast<unsigned char>(peek()))) {
      value = value * 10 + (peek() - '0');
      if (value > kMaxRepetition) refuse("a repetition bound is over " + std::to_string(kMaxRepetition));
      advance();
    }
    return static_cast<int>(value);
  }

  Expr primary() {
    Expr e;
    e.line = line_;
    e.column = column_;
    const char c = peek();
    if (c == '"') {
      advance();
      e.kind = Expr::Kind::kLiteral;
      for (;;) {
        if (atEnd()) refuseAt(e.line, e.column, "unterminated literal");
        if (peek() == '"') break;
        appendUtf8(character(), e.literal);
      }
      advance();
    } else if (c == '[') {
      advance();
      e.kind = Expr::Kind::kClass;
      if (peek() == '^') {
        e.negated = true;
        advance();
      }
      for (;;) {
        if (atEnd()) refuseAt(e.line, e.column, "unterminated character class");
        if (peek() == ']') break;
        const std::uint32_t lo = character();
        std::uint32_t hi = lo;
        if (peek() == '-' && peek(1) != ']') {
          advance();
          hi = character();
          if (hi < lo) refuseAt(e.line, e.column, "a class range runs backwards");
        }
        e.ranges.emplace_back(lo, hi);
      }
      advance();
      if (e.ranges.empty()) refuseAt(e.line, e.column, "an empty character class");
    } else if (c == '.') {
      advance();
      e.kind = Expr::Kind::kClass;
      e.ranges.emplace_back(0, kMaxCodePoint);
    } else if (c == '(') {
      advance();
      e = alternatives();
      skipSpace();
      if (peek() != ')') refuse("expected ) to close the group");
      advance();
    } else if (isNameStart(c)) {
      e.kind = Expr::Kind::kRule;
      e.rule = name();
    } else {
      refuse(std::string("unexpected ") +
             (atEnd() ? "end of grammar" : "character '" + std::string(1, c) + "'"));
    }
    return e;
  }

  // One code point of a literal or class, escapes decoded.
  std::uint32_t character() {
    const unsigned char c = static_cast<unsigned char>(peek());
    if (c == '\\') {
      const int line = line_;
      const int column = column_;
      advance();
      const char e = peek();
      advance();
      switch (e) {
        case 'n': return '\n';
        case 'r': return '\r';
        case 't': return '\t';
        case '\\':
        case '"':
        case '\'':
        case '[':
        case ']':
        case '-':
        case '^':
        case '/': return static_cast<unsigned char>(e);
        case 'x': return hex(2, line, column);
        case 'u': return hex(4, line, column);
        case 'U': return hex(8, line, column);
        default: refuseAt(line, column, "an unknown escape \\" + std::string(1, e));
      }
    }
    // A UTF-8 sequence of the grammar text itself.
    int length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (length == 0) refuse("the grammar text is not valid UTF-8");
    std::uint32_t cp = length == 1 ? c : c & (0x7F >> length);
    for (int i = 1; i < length; ++i) {
      const unsigned char next = static_cast<unsigned char>(peek(i));
      if ((next & 0xC0) != 0x80) refuse("the grammar text is not valid UTF-8");
      cp = (cp << 6) | (next & 0x3F);
    }
    advance(static_cast<std::size_t>(length));
    return cp;
  }

  std::uint32_t hex(int digits, int line, int column) {
    std::uint32_t value = 0;
    for (int i = 0; i < digits; ++i) {
      const char h = peek();
      if (!std::isxdigit(static_cast<unsigned char>(h)))
        refuseAt(line, column, "a \\x, \\u or \\U escape needs " + std::to_string(digits) + " hex digits");
      value = value * 16 + static_cast<std::uint32_t>(std::isdigit(static_cast<unsigned char>(h))
                                                          ? h - '0'
                                                          : (std::tolower(h) - 'a' + 10));
      advance();
    }
    if (value > kMaxCodePoint || (value >= 0xD800 && value <= 0xDFFF))
      refuseAt(line, column, "an escape names no Unicode scalar value");
    return value;
  }

  const std::string& text_;
  std::size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
};

}  // namespace

std::vector<RuleSyntax> parseGrammar(const std::string& text) { return Parser(text).parse(); }

}  // namespace vl2::grammar
