// The checkpoint file's container (format 2): a header, the run's JSON record, the LibTorch archive of the
// tensors, and a checksum over all of it, so that a damaged file is refused on every load and a file's content
// has a name (its checksum) for caches. Format 1 (a bare LibTorch archive with the record inside) still reads.
//
//   bytes 0-7     "CIMTRCKP"
//   8-11, 12-15   format version (2), reserved (0); little-endian uint32
//   16-23, 24-31  record length M, archive length A; little-endian uint64
//   32 ..         the record (JSON, M bytes), then the archive (A bytes)
//   last 8        checksum64 of every byte before it; little-endian uint64
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace cimtrain::train {

// The bytes of a format-2 file holding `meta` and `archive`.
std::string encode_checkpoint_file(const nlohmann::json& meta, const std::string& archive);

struct CheckpointFile {
  int version = 0;        // 2, or 1 for a file of the previous format
  nlohmann::json meta;    // format 2: the record (format 1: empty; it is inside the archive)
  std::string archive;    // the LibTorch archive's bytes (format 1: the whole file)
  std::string checksum;   // 16 hex digits: format 2 the stored, verified checksum; format 1 that of the file
};

// Reads and verifies `path`. Throws std::runtime_error "checkpoint 'PATH': ..." for a missing or unreadable
// file, a file that is no cimtrain checkpoint, a truncated one, an unknown format version, a checksum mismatch
// ("is damaged: checksum mismatch") or a record that is not JSON.
CheckpointFile read_checkpoint_file(const std::string& path);

}  // namespace cimtrain::train
