// CIFAR-10 binary batches: each record is 1 label byte + 3072 pixel bytes (1024 R, 1024 G, 1024 B).
#include "data/cifar10.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "data/data_error.h"
#include "data/data_location.h"

namespace cimtrain::data {
namespace {

constexpr int64_t kClasses = 10;

std::string missing_file_message(const std::string& dir, const std::string& path) {
  std::ostringstream s;
  s << "cannot open cifar10 file '" << path << "'";
  if (!std::filesystem::is_directory(dir))
    s << " (the directory '" << dir << "' does not exist;";
  else
    s << " (";
  s << " does the directory hold the CIFAR-10 binary batches data_batch_1..5.bin and test_batch.bin?) "
    << where_to_get("cifar10");
  return s.str();
}

// Reads the first `count` records of `path` into images/labels starting at example `first`.
void read_batch_file(const std::string& dir, const std::string& path, int64_t count, int64_t first, uint8_t* images,
                     int64_t* labels) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw DataError(missing_file_message(dir, path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(missing_file_message(dir, path));

  const auto file_bytes = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  const int64_t expected = kCifar10RecordsPerFile * kCifar10RecordBytes;
  if (ec || file_bytes != expected) {
    std::ostringstream s;
    s << "cifar10 file '" << path << "': expected " << expected << " bytes (" << kCifar10RecordsPerFile
      << " records of " << kCifar10RecordBytes << "), found " << (ec ? -1 : file_bytes);
    if (!ec && file_bytes % kCifar10RecordBytes != 0) {
      s << " (not a whole number of records)";
    } else if (!ec) {
      s << " (" << file_bytes / kCifar10RecordBytes << " records)";
    }
    throw DataError(s.str());
  }

  std::vector<uint8_t> buf(static_cast<size_t>(count * kCifar10RecordBytes));
  in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
  if (in.gcount() != static_cast<std::streamsize>(buf.size())) {
    std::ostringstream s;
    s << "cifar10 file '" << path << "': read error: expected " << buf.size() << " bytes, got " << in.gcount();
    throw DataError(s.str());
  }
  for (int64_t r = 0; r < count; ++r) {
    const uint8_t* rec = buf.data() + r * kCifar10RecordBytes;
    if (rec[0] >= kClasses) {
      std::ostringstream s;
      s << "cifar10 file '" << path << "': record " << r << " has label " << int{rec[0]} << ", expected 0.."
        << kClasses - 1;
      throw DataError(s.str());
    }
    labels[first + r] = rec[0];
    std::memcpy(images + (first + r) * kCifar10ImageBytes, rec + 1, kCifar10ImageBytes);
  }
}

// Class names from batches.meta.txt (one per line, blank lines ignored), or the standard ones without it.
std::vector<std::string> read_class_names(const std::string& dir) {
  const std::string path = dir + "/batches.meta.txt";
  std::ifstream in(path);
  if (!in) return cifar10_class_names();
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    const auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    const auto e = line.find_last_not_of(" \t\r");
    names.push_back(line.substr(b, e - b + 1));
  }
  if (static_cast<int64_t>(names.size()) != kClasses) {
    std::ostringstream s;
    s << "cifar10 file '" << path << "': expected " << kClasses << " class names (one a line), found " << names.size();
    throw DataError(s.str());
  }
  return names;
}

}  // namespace

const std::vector<std::string>& cifar10_class_names() {
  static const std::vector<std::string> names = {"airplane", "automobile", "bird",  "cat",  "deer",
                                                 "dog",      "frog",       "horse", "ship", "truck"};
  return names;
}

ImageDataset load_cifar10(const std::string& dir, bool train, int64_t limit) {
  std::vector<std::string> files;
  if (train) {
    for (int k = 1; k <= 5; ++k) files.push_back("data_batch_" + std::to_string(k) + ".bin");
  } else {
    files.push_back("test_batch.bin");
  }
  const int64_t total = static_cast<int64_t>(files.size()) * kCifar10RecordsPerFile;
  const int64_t n = limit < 0 ? total : std::min(limit, total);

  ImageDataset ds;
  ds.name = std::string("cifar10/") + (train ? "train" : "test");
  ds.images = at::empty({n, 3, 32, 32}, at::kByte);
  ds.labels = at::empty({n}, at::kLong);
  int64_t done = 0;
  for (const auto& file : files) {
    if (done >= n) break;
    const int64_t take = std::min(kCifar10RecordsPerFile, n - done);
    read_batch_file(dir, dir + "/" + file, take, done, ds.images.data_ptr<uint8_t>(), ds.labels.data_ptr<int64_t>());
    done += take;
  }
  ds.class_names = read_class_names(dir);
  ds.num_classes = kClasses;
  return ds;
}

}  // namespace cimtrain::data
