// Fashion-MNIST IDX files: a big-endian header (magic, dimensions) followed by unsigned bytes, read with zlib
// (gzread reads plain files transparently).
#include "data/fashion_mnist.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "data/data_error.h"
#include "data/data_location.h"

namespace cimtrain::data {
namespace {

constexpr int64_t kClasses = 10;
constexpr int64_t kSide = 28;

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

// An open IDX file (gzipped or plain), closed on destruction.
class IdxFile {
 public:
  // Opens dir/base.gz, else dir/base; throws DataError naming both when neither opens.
  IdxFile(const std::string& dir, const std::string& base) {
    const std::string gz = dir + "/" + base + ".gz";
    const std::string plain = dir + "/" + base;
    std::error_code ec;
    for (const auto& p : {gz, plain}) {
      if (!std::filesystem::is_regular_file(p, ec)) continue;
      file_ = gzopen(p.c_str(), "rb");
      if (file_ != nullptr) {
        path_ = p;
        gzbuffer(file_, 1 << 17);
        return;
      }
    }
    std::ostringstream s;
    s << "cannot open fashion-mnist file '" << gz << "' (nor '" << plain << "')";
    if (!std::filesystem::is_directory(dir, ec)) s << "; the directory '" << dir << "' does not exist";
    s << " (does the directory hold the Fashion-MNIST IDX files train-*-ubyte.gz and t10k-*-ubyte.gz?) "
      << where_to_get("fashion-mnist");
    throw DataError(s.str());
  }
  ~IdxFile() {
    if (file_ != nullptr) gzclose(file_);
  }
  IdxFile(const IdxFile&) = delete;
  IdxFile& operator=(const IdxFile&) = delete;

  const std::string& path() const { return path_; }

  // Reads up to n bytes; returns how many were read (fewer at end of data); throws on a zlib error.
  int64_t read_some(uint8_t* dst, int64_t n) {
    int64_t done = 0;
    while (done < n) {
      const auto chunk = static_cast<unsigned>(std::min<int64_t>(n - done, INT_MAX / 2));
      const int got = gzread(file_, dst + done, chunk);
      if (got < 0) {
        int errnum = 0;
        const char* msg = gzerror(file_, &errnum);
        std::ostringstream s;
        s << "fashion-mnist file '" << path_ << "': read error after " << done << " of " << n
          << " bytes: " << (msg ? msg : "unknown zlib error");
        throw DataError(s.str());
      }
      if (got == 0) break;
      done += got;
    }
    return done;
  }

  // Reads exactly n bytes of `what`; throws DataError "truncated" otherwise.
  void read_exact(uint8_t* dst, int64_t n, const std::string& what) {
    const int64_t got = read_some(dst, n);
    if (got != n) {
      std::ostringstream s;
      s << "fashion-mnist file '" << path_ << "': truncated: expected " << n << " bytes of " << what << ", found "
        << got;
      throw DataError(s.str());
    }
  }

  uint32_t read_u32(const std::string& what) {
    uint8_t b[4];
    read_exact(b, 4, what);
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
  }

  // Throws when any data follows what the header announced.
  void expect_end(const std::string& what) {
    uint8_t extra;
    if (read_some(&extra, 1) != 0) {
      throw DataError("fashion-mnist file '" + path_ + "': expected the file to end after " + what +
                      ", found more data (the header's count is wrong or the file is corrupt)");
    }
  }

 private:
  gzFile file_ = nullptr;
  std::string path_;
};

void check_magic(const IdxFile& f, uint32_t found, uint32_t expected, const char* kind) {
  if (found != expected) {
    throw DataError("fashion-mnist file '" + f.path() + "': bad magic number " + hex32(found) + ", expected " +
                    hex32(expected) + " (IDX " + kind + ")");
  }
}

}  // namespace

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

ImageDataset load_fashion_mnist(const std::string& dir, bool train, int64_t limit) {
  const std::string prefix = train ? "train" : "t10k";
  IdxFile images_file(dir, prefix + "-images-idx3-ubyte");
  IdxFile labels_file(dir, prefix + "-labels-idx1-ubyte");

  check_magic(images_file, images_file.read_u32("header (magic number)"), kIdxImagesMagic,
              "unsigned-byte images, 3 dimensions");
  const int64_t image_count = images_file.read_u32("header (image count)");
  const int64_t rows = images_file.read_u32("header (rows)");
  const int64_t cols = images_file.read_u32("header (columns)");
  if (rows != kSide || cols != kSide) {
    std::ostringstream s;
    s << "fashion-mnist file '" << images_file.path() << "': expected " << kSide << "x" << kSide << " images, found "
      << rows << "x" << cols;
    throw DataError(s.str());
  }
  check_magic(labels_file, labels_file.read_u32("header (magic number)"), kIdxLabelsMagic,
              "unsigned-byte labels, 1 dimension");
  const int64_t label_count = labels_file.read_u32("header (label count)");
  if (image_count != label_count) {
    std::ostringstream s;
    s << "fashion-mnist: expected as many labels as images, found " << image_count << " images in '"
      << images_file.path() << "' and " << label_count << " labels in '" << labels_file.path() << "'";
    throw DataError(s.str());
  }

  const int64_t n = limit < 0 ? image_count : std::min(limit, image_count);
  ImageDataset ds;
  ds.name = std::string("fashion-mnist/") + (train ? "train" : "test");
  ds.images = at::empty({n, 1, kSide, kSide}, at::kByte);
  auto labels_u8 = at::empty({n}, at::kByte);
  {
    std::ostringstream what;
    what << "pixel data (" << n << " images of " << kSide << "x" << kSide << ") after the 16-byte header";
    images_file.read_exact(ds.images.data_ptr<uint8_t>(), n * kSide * kSide, what.str());
  }
  {
    std::ostringstream what;
    what << "labels (" << n << ") after the 8-byte header";
    labels_file.read_exact(labels_u8.data_ptr<uint8_t>(), n, what.str());
  }
  if (n == image_count) {
    images_file.expect_end(std::to_string(n) + " images");
    labels_file.expect_end(std::to_string(n) + " labels");
  }
  const uint8_t* lab = labels_u8.data_ptr<uint8_t>();
  for (int64_t i = 0; i < n; ++i) {
    if (lab[i] >= kClasses) {
      std::ostringstream s;
      s << "fashion-mnist file '" << labels_file.path() << "': label " << i << " is " << int{lab[i]} << ", expected 0.."
        << kClasses - 1;
      throw DataError(s.str());
    }
  }
  ds.labels = labels_u8.to(at::kLong);
  ds.num_classes = kClasses;
  ds.class_names = fashion_mnist_class_names();
  return ds;
}

}  // namespace cimtrain::data
