// A character vocabulary built from a text: the distinct Unicode code points, sorted, each an id.
// Texts are UTF-8; invalid UTF-8 and characters outside the vocabulary are errors that name what they found.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

namespace cimtrain::data {

// UTF-8 -> code points; throws DataError naming `what` (a file name) and the byte offset of bad input.
std::u32string decode_utf8(const std::string& text, const std::string& what = "text");
std::string encode_utf8(const std::u32string& text);

class Vocabulary {
 public:
  Vocabulary() = default;
  // The distinct characters of `text` (at least one), sorted by code point.
  static Vocabulary from_text(const std::u32string& text);
  // From its saved form (to_json): a list of code points, sorted and distinct.
  static Vocabulary from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;

  int64_t size() const { return static_cast<int64_t>(chars_.size()); }
  const std::vector<char32_t>& chars() const { return chars_; }
  // Characters -> int64 ids [n]; throws DataError naming the first character not in the vocabulary.
  at::Tensor encode(const std::u32string& text) const;
  at::Tensor encode_utf8_text(const std::string& text) const { return encode(decode_utf8(text)); }
  // Ids (any shape, flattened in order) -> UTF-8 text; throws for an id outside [0, size()).
  std::string decode(const at::Tensor& ids) const;

 private:
  std::vector<char32_t> chars_;
  std::unordered_map<char32_t, int64_t> index_;
};

}  // namespace cimtrain::data
