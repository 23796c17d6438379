// The checkpoint container (see checkpoint_file.h).
#include "train/checkpoint_file.h"

#include <fmt/core.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "common/checksum.h"

namespace cimtrain::train {

namespace {

constexpr char kMagic[8] = {'C', 'I', 'M', 'T', 'R', 'C', 'K', 'P'};
constexpr size_t kHeader = 32, kTrailer = 8;
constexpr uint32_t kVersion = 2;

std::runtime_error file_error(const std::string& path, const std::string& what) {
  return std::runtime_error("checkpoint '" + path + "': " + what);
}

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t get_le(const std::string& in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  return v;
}

std::string read_all(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw file_error(path, "file not found");
  if (!std::filesystem::is_regular_file(path, ec)) throw file_error(path, "not a regular file");
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw file_error(path, "cannot be read: " + std::string(std::strerror(errno)));
  return bytes;
}

}  // namespace

std::string encode_checkpoint_file(const nlohmann::json& meta, const std::string& archive) {
  const std::string record = meta.dump();
  std::string out(kMagic, sizeof kMagic);
  put_le(out, kVersion, 4);
  put_le(out, 0, 4);
  put_le(out, record.size(), 8);
  put_le(out, archive.size(), 8);
  out.reserve(out.size() + record.size() + archive.size() + kTrailer);
  out += record;
  out += archive;
  put_le(out, common::checksum64(out), 8);
  return out;
}

CheckpointFile read_checkpoint_file(const std::string& path) {
  CheckpointFile f;
  auto bytes = read_all(path);
  if (bytes.size() >= 4 && bytes.compare(0, 4, "PK\x03\x04") == 0) {  // format 1: a LibTorch (zip) archive
    f.version = 1;
    f.checksum = common::checksum_hex(common::checksum64(bytes));
    f.archive = std::move(bytes);
    return f;
  }
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw file_error(path, "not a cimtrain checkpoint (no checkpoint header; a file of another program?)");
  if (bytes.size() < kHeader + kTrailer)
    throw file_error(path, fmt::format("is damaged: truncated ({} bytes, less than a header)", bytes.size()));
  const auto version = get_le(bytes, 8, 4);
  if (version != kVersion)
    throw file_error(path, fmt::format("format version {}, expected {} (or 1)", version, kVersion));
  const uint64_t record_size = get_le(bytes, 16, 8), archive_size = get_le(bytes, 24, 8);
  const uint64_t body = bytes.size() - kHeader - kTrailer;
  if (record_size > body || archive_size != body - record_size)
    throw file_error(path, fmt::format("is damaged: {} bytes, its header announces {} + {} + {} + {} (truncated?)",
                                       bytes.size(), kHeader, record_size, archive_size, kTrailer));
  const uint64_t stored = get_le(bytes, bytes.size() - kTrailer, 8);
  const uint64_t actual = common::checksum64(std::string_view(bytes.data(), bytes.size() - kTrailer));
  if (stored != actual)
    throw file_error(path, fmt::format("is damaged: checksum mismatch (stored {}, computed {}): the file changed "
                                       "after it was written",
                                       common::checksum_hex(stored), common::checksum_hex(actual)));
  f.version = 2;
  f.checksum = common::checksum_hex(stored);
  try {
    f.meta = nlohmann::json::parse(bytes.begin() + kHeader, bytes.begin() + static_cast<int64_t>(kHeader + record_size));
  } catch (const nlohmann::json::exception& e) {
    throw file_error(path, std::string("its record is not valid JSON: ") + e.what());
  }
  f.archive = bytes.substr(kHeader + record_size, archive_size);
  return f;
}

}  // namespace cimtrain::train
