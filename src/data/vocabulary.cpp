// Character vocabulary and UTF-8 coding (see vocabulary.h).
#include "data/vocabulary.h"

#include <fmt/core.h>

#include <algorithm>

#include "data/data_error.h"

namespace cimtrain::data {

namespace {
std::string describe(char32_t c) {
  if (c >= 0x20 && c < 0x7f) return fmt::format("'{}' (U+{:04X})", static_cast<char>(c), static_cast<uint32_t>(c));
  return fmt::format("U+{:04X}", static_cast<uint32_t>(c));
}
}  // namespace

std::u32string decode_utf8(const std::string& text, const std::string& what) {
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    int len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xe ? 3 : (b0 >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + static_cast<size_t>(len) > text.size())
      throw DataError(fmt::format("{}: invalid UTF-8 at byte {} (expected a UTF-8 text)", what, i));
    char32_t c = len == 1 ? b0 : len == 2 ? (b0 & 0x1f) : len == 3 ? (b0 & 0x0f) : (b0 & 0x07);
    for (int k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(text[i + static_cast<size_t>(k)]);
      if ((b >> 6) != 0x2)
        throw DataError(fmt::format("{}: invalid UTF-8 at byte {} (expected a UTF-8 text)", what, i));
      c = (c << 6) | (b & 0x3f);
    }
    out.push_back(c);
    i += static_cast<size_t>(len);
  }
  return out;
}

std::string encode_utf8(const std::u32string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char32_t c : text) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xc0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xe0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xf0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
    }
  }
  return out;
}

Vocabulary Vocabulary::from_text(const std::u32string& text) {
  if (text.empty()) throw DataError("vocabulary: the text is empty (expected at least one character)");
  Vocabulary v;
  v.chars_.assign(text.begin(), text.end());
  std::sort(v.chars_.begin(), v.chars_.end());
  v.chars_.erase(std::unique(v.chars_.begin(), v.chars_.end()), v.chars_.end());
  for (size_t i = 0; i < v.chars_.size(); ++i) v.index_[v.chars_[i]] = static_cast<int64_t>(i);
  return v;
}

Vocabulary Vocabulary::from_json(const nlohmann::json& j) {
  if (!j.is_array() || j.empty())
    throw DataError("vocabulary: expected a non-empty list of code points, found " + j.dump().substr(0, 80));
  Vocabulary v;
  for (const auto& e : j) {
    if (!e.is_number_unsigned() || e.get<uint64_t>() > 0x10ffff)
      throw DataError("vocabulary: expected code points (integers 0..0x10FFFF), found " + e.dump());
    const auto c = static_cast<char32_t>(e.get<uint64_t>());
    if (!v.chars_.empty() && c <= v.chars_.back())
      throw DataError("vocabulary: code points must be sorted and distinct, found " + describe(c) + " after " +
                      describe(v.chars_.back()));
    v.index_[c] = static_cast<int64_t>(v.chars_.size());
    v.chars_.push_back(c);
  }
  return v;
}

nlohmann::json Vocabulary::to_json() const {
  auto j = nlohmann::json::array();
  for (const char32_t c : chars_) j.push_back(static_cast<uint32_t>(c));
  return j;
}

at::Tensor Vocabulary::encode(const std::u32string& text) const {
  auto ids = at::empty({static_cast<int64_t>(text.size())}, at::kLong);
  auto* p = ids.data_ptr<int64_t>();
  for (size_t i = 0; i < text.size(); ++i) {
    const auto it = index_.find(text[i]);
    if (it == index_.end())
      throw DataError(fmt::format("character {} at position {} is not in the vocabulary ({} characters)",
                                  describe(text[i]), i, chars_.size()));
    p[i] = it->second;
  }
  return ids;
}

std::string Vocabulary::decode(const at::Tensor& ids) const {
  const auto flat = ids.reshape({-1}).to(at::kLong).contiguous();
  const auto* p = flat.data_ptr<int64_t>();
  std::u32string text;
  text.reserve(static_cast<size_t>(flat.numel()));
  for (int64_t i = 0; i < flat.numel(); ++i) {
    if (p[i] < 0 || p[i] >= size())
      throw DataError(fmt::format("id {} is outside the vocabulary [0, {})", p[i], size()));
    text.push_back(chars_[static_cast<size_t>(p[i])]);
  }
  return encode_utf8(text);
}

}  // namespace cimtrain::data
