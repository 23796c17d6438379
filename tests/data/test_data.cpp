// Tests for the data layer: CIFAR-10 and Fashion-MNIST loaders on small synthetic files (and the real ones when
// present), augmentation, normalisation, and the BatchLoader's coverage, determinism and resumption.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "data/augment.h"
#include "data/batch_loader.h"
#include "data/cifar10.h"
#include "data/data_error.h"
#include "data/dataset_registry.h"
#include "data/fashion_mnist.h"
#include "data/normalization.h"
#include "test_support.h"

namespace cimtrain::data {
namespace {

namespace fs = std::filesystem;

// A fresh folder under /tmp, removed with its contents at the end of the test.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/cimtrain_test_data_XXXXXX";
    const char* p = mkdtemp(tmpl);
    if (p == nullptr) throw std::runtime_error("mkdtemp failed");
    path = p;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return path + "/" + name; }
};

// Expects `f` to throw DataError whose message contains every one of `parts`.
template <class F>
void expect_data_error(F&& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "expected a DataError";
  } catch (const DataError& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }
}

// ---- CIFAR-10 synthetic files ----

uint8_t cifar_pixel(int64_t record, int64_t k) { return static_cast<uint8_t>((record * 31 + k * 7) % 251); }

// A full-size (30730000-byte, sparse: all-zero records have label 0) batch file with records
// [first, first + count) filled: label record % 10, pixel k = cifar_pixel(record, k).
void write_cifar_file(const std::string& path, int64_t first, int64_t count, int64_t bad_label_record = -1) {
  { std::ofstream(path, std::ios::binary).flush(); }
  fs::resize_file(path, kCifar10RecordsPerFile * kCifar10RecordBytes);
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekp(first * kCifar10RecordBytes);
  std::vector<char> rec(kCifar10RecordBytes);
  for (int64_t r = first; r < first + count; ++r) {
    rec[0] = static_cast<char>(r == bad_label_record ? 10 : r % 10);
    for (int64_t k = 0; k < kCifar10ImageBytes; ++k) rec[1 + k] = static_cast<char>(cifar_pixel(r, k));
    f.write(rec.data(), kCifar10RecordBytes);
  }
}

void expect_cifar_record(const ImageDataset& ds, int64_t i, int64_t record) {
  ASSERT_EQ(ds.labels[i].item<int64_t>(), record % 10) << "example " << i;
  const at::Tensor img = ds.images[i];
  // Record bytes 1..3072 are the R, G and B planes of 32x32, row-major.
  for (auto [c, y, x] : {std::tuple<int64_t, int64_t, int64_t>{0, 0, 0},
                         {0, 0, 31},
                         {0, 1, 0},
                         {1, 0, 0},
                         {1, 17, 5},
                         {2, 0, 0},
                         {2, 31, 31}}) {
    EXPECT_EQ(img[c][y][x].item<int64_t>(), cifar_pixel(record, c * 1024 + y * 32 + x))
        << "example " << i << " c " << c << " y " << y << " x " << x;
  }
  const at::Tensor expected =
      at::arange(kCifar10ImageBytes, at::kLong).mul(7).add(record * 31).remainder(251).to(at::kByte).view({3, 32, 32});
  EXPECT_TRUE(img.equal(expected)) << "example " << i;
}

TEST(Data, Cifar10ReadsRecords) {
  TempDir dir;
  write_cifar_file(dir.file("test_batch.bin"), 0, 20);
  const ImageDataset ds = load_cifar10(dir.path, /*train=*/false, /*limit=*/20);
  ASSERT_EQ(ds.images.sizes(), (std::vector<int64_t>{20, 3, 32, 32}));
  ASSERT_EQ(ds.labels.sizes(), (std::vector<int64_t>{20}));
  EXPECT_EQ(ds.images.scalar_type(), at::kByte);
  EXPECT_EQ(ds.labels.scalar_type(), at::kLong);
  EXPECT_EQ(ds.num_classes, 10);
  EXPECT_EQ(ds.class_names, cifar10_class_names());  // no batches.meta.txt
  EXPECT_EQ(ds.class_names[3], "cat");
  for (int64_t i = 0; i < 20; ++i) expect_cifar_record(ds, i, i);
  EXPECT_NO_THROW(ds.validate());

  // Without a limit: all 10000 records; class names from batches.meta.txt.
  {
    std::ofstream meta(dir.file("batches.meta.txt"));
    for (int c = 0; c < 10; ++c) meta << "class" << c << "\n";
    meta << "\n";
  }
  const ImageDataset all = load_cifar10(dir.path, false);
  EXPECT_EQ(all.size(), 10000);
  EXPECT_EQ(all.class_names[7], "class7");
  expect_cifar_record(all, 19, 19);
  EXPECT_EQ(all.labels[20].item<int64_t>(), 0);  // the sparse, all-zero records
}

TEST(Data, Cifar10TrainReadsAcrossFilesAndOnlyWhatIsNeeded) {
  TempDir dir;
  write_cifar_file(dir.file("data_batch_1.bin"), 9990, 10);
  write_cifar_file(dir.file("data_batch_2.bin"), 0, 5);
  // data_batch_3..5.bin are absent: a limit inside the first two files must not open them.
  const ImageDataset ds = load_cifar10(dir.path, /*train=*/true, /*limit=*/10003);
  ASSERT_EQ(ds.size(), 10003);
  expect_cifar_record(ds, 9995, 9995);
  expect_cifar_record(ds, 9999, 9999);
  expect_cifar_record(ds, 10000, 0);
  expect_cifar_record(ds, 10002, 2);
  // Without a limit the missing third file is reported.
  expect_data_error([&] { load_cifar10(dir.path, true); }, {dir.file("data_batch_3.bin"), "cannot open"});
}

TEST(Data, Cifar10TruncatedFileRejected) {
  TempDir dir;
  {
    std::ofstream f(dir.file("test_batch.bin"), std::ios::binary);
    f << std::string(1234, '\0');
  }
  expect_data_error([&] { load_cifar10(dir.path, false, 10); },
                    {dir.file("test_batch.bin"), "expected 30730000 bytes", "10000 records of 3073", "found 1234"});
  // A whole number of records, but not 10000.
  {
    std::ofstream f(dir.file("test_batch.bin"), std::ios::binary);
    f << std::string(3073 * 3, '\0');
  }
  expect_data_error([&] { load_cifar10(dir.path, false); }, {"found 9219", "3 records"});
}

TEST(Data, Cifar10LabelOutOfRangeRejected) {
  TempDir dir;
  write_cifar_file(dir.file("test_batch.bin"), 0, 8, /*bad_label_record=*/5);
  expect_data_error([&] { load_cifar10(dir.path, false); },
                    {dir.file("test_batch.bin"), "record 5", "label 10", "expected 0..9"});
  EXPECT_NO_THROW(load_cifar10(dir.path, false, 5));  // the bad record is not read
}

TEST(Data, Cifar10MissingFileRejected) {
  TempDir dir;
  expect_data_error([&] { load_cifar10(dir.path, false); },
                    {"cannot open", dir.file("test_batch.bin"), "CIFAR-10 binary batches"});
  expect_data_error([&] { load_cifar10(dir.file("nowhere"), false); }, {"does not exist"});
}

TEST(Data, Cifar10BadMetaFileRejected) {
  TempDir dir;
  write_cifar_file(dir.file("test_batch.bin"), 0, 1);
  {
    std::ofstream meta(dir.file("batches.meta.txt"));
    meta << "a\nb\n";
  }
  expect_data_error([&] { load_cifar10(dir.path, false, 1); },
                    {dir.file("batches.meta.txt"), "expected 10 class names", "found 2"});
}

// ---- Fashion-MNIST synthetic IDX files ----

void put_u32(std::string& s, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((v >> shift) & 0xFF));
}

uint8_t fmnist_pixel(int64_t image, int64_t k) { return static_cast<uint8_t>((image * 13 + k * 3) % 256); }

std::string idx_images(uint32_t magic, uint32_t count, uint32_t rows, uint32_t cols, int64_t images_written) {
  std::string s;
  put_u32(s, magic);
  put_u32(s, count);
  put_u32(s, rows);
  put_u32(s, cols);
  for (int64_t i = 0; i < images_written; ++i)
    for (int64_t k = 0; k < int64_t{rows} * cols; ++k) s.push_back(static_cast<char>(fmnist_pixel(i, k)));
  return s;
}

std::string idx_labels(uint32_t magic, uint32_t count, const std::vector<uint8_t>& labels) {
  std::string s;
  put_u32(s, magic);
  put_u32(s, count);
  for (uint8_t l : labels) s.push_back(static_cast<char>(l));
  return s;
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(f), Z_OK);
}

void write_plain(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f << bytes;
}

const std::vector<uint8_t> kFiveLabels = {9, 0, 3, 7, 2};

void expect_fmnist_images(const ImageDataset& ds, int64_t n) {
  ASSERT_EQ(ds.images.sizes(), (std::vector<int64_t>{n, 1, 28, 28}));
  ASSERT_EQ(ds.labels.sizes(), (std::vector<int64_t>{n}));
  EXPECT_EQ(ds.images.scalar_type(), at::kByte);
  EXPECT_EQ(ds.labels.scalar_type(), at::kLong);
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_EQ(ds.labels[i].item<int64_t>(), kFiveLabels[i]);
    const at::Tensor expected =
        at::arange(28 * 28, at::kLong).mul(3).add(i * 13).remainder(256).to(at::kByte).view({1, 28, 28});
    EXPECT_TRUE(ds.images[i].equal(expected)) << "image " << i;
  }
  EXPECT_EQ(ds.images[1][0][2][5].item<int64_t>(), fmnist_pixel(1, 2 * 28 + 5));
}

TEST(Data, FashionMnistReadsGzipAndPlainFiles) {
  TempDir dir;
  write_gz(dir.file("t10k-images-idx3-ubyte.gz"), idx_images(0x803, 5, 28, 28, 5));
  write_gz(dir.file("t10k-labels-idx1-ubyte.gz"), idx_labels(0x801, 5, kFiveLabels));
  const ImageDataset ds = load_fashion_mnist(dir.path, /*train=*/false);
  expect_fmnist_images(ds, 5);
  EXPECT_EQ(ds.num_classes, 10);
  EXPECT_EQ(ds.class_names.front(), "T-shirt/top");
  EXPECT_EQ(ds.class_names.back(), "Ankle boot");
  EXPECT_EQ(load_fashion_mnist(dir.path, false, 3).size(), 3);

  // Uncompressed files without .gz work too.
  write_plain(dir.file("train-images-idx3-ubyte"), idx_images(0x803, 5, 28, 28, 5));
  write_plain(dir.file("train-labels-idx1-ubyte"), idx_labels(0x801, 5, kFiveLabels));
  expect_fmnist_images(load_fashion_mnist(dir.path, /*train=*/true), 5);
}

TEST(Data, FashionMnistBadMagicRejected) {
  TempDir dir;
  write_gz(dir.file("t10k-images-idx3-ubyte.gz"), idx_images(0x801, 5, 28, 28, 5));
  write_gz(dir.file("t10k-labels-idx1-ubyte.gz"), idx_labels(0x801, 5, kFiveLabels));
  expect_data_error([&] { load_fashion_mnist(dir.path, false); },
                    {dir.file("t10k-images-idx3-ubyte.gz"), "bad magic number 0x00000801", "expected 0x00000803"});
  write_gz(dir.file("t10k-images-idx3-ubyte.gz"), idx_images(0x803, 5, 28, 28, 5));
  write_gz(dir.file("t10k-labels-idx1-ubyte.gz"), idx_labels(0x803, 5, kFiveLabels));
  expect_data_error([&] { load_fashion_mnist(dir.path, false); },
                    {dir.file("t10k-labels-idx1-ubyte.gz"), "bad magic number 0x00000803", "expected 0x00000801"});
}

TEST(Data, FashionMnistTruncatedRejected) {
  TempDir dir;
  std::string images = idx_images(0x803, 5, 28, 28, 5);
  images.resize(images.size() - 100);
  write_gz(dir.file("t10k-images-idx3-ubyte.gz"), images);
  write_gz(dir.file("t10k-labels-idx1-ubyte.gz"), idx_labels(0x801, 5, kFiveLabels));
  expect_data_error([&] { load_fashion_mnist(dir.path, false); },
                    {dir.file("t10k-images-idx3-ubyte.gz"), "truncated", "expected 3920 bytes", "found 3820"});
  // A header cut short.
  write_gz(dir.file("t10k-images-idx3-ubyte.gz"), images.substr(0, 10));
  expect_data_error([&] { load_fashion_mnist(dir.path, false); }, {"truncated", "header"});
  // Labels cut short (plain file).
  write_gz(dir.file("t10k-images-idx3-ubyte.gz"), idx_images(0x803, 5, 28, 28, 5));
  fs::remove(dir.file("t10k-labels-idx1-ubyte.gz"));
  write_plain(dir.file("t10k-labels-idx1-ubyte"), idx_labels(0x801, 5, {1, 2, 3}));
  expect_data_error([&] { load_fashion_mnist(dir.path, false); },
                    {dir.file("t10k-labels-idx1-ubyte"), "truncated", "expected 5 bytes", "found 3"});
}

TEST(Data, FashionMnistCountMismatchAndBadShapeRejected) {
  TempDir dir;
  write_gz(dir.file("t10k-images-idx3-ubyte.gz"), idx_images(0x803, 5, 28, 28, 5));
  write_gz(dir.file("t10k-labels-idx1-ubyte.gz"), idx_labels(0x801, 4, {1, 2, 3, 4}));
  expect_data_error([&] { load_fashion_mnist(dir.path, false); }, {"5 images", "4 labels"});

  write_gz(dir.file("t10k-images-idx3-ubyte.gz"), idx_images(0x803, 5, 27, 28, 5));
  write_gz(dir.file("t10k-labels-idx1-ubyte.gz"), idx_labels(0x801, 5, kFiveLabels));
  expect_data_error([&] { load_fashion_mnist(dir.path, false); }, {"expected 28x28", "found 27x28"});

  // More data than the header announces.
  write_gz(dir.file("t10k-images-idx3-ubyte.gz"), idx_images(0x803, 4, 28, 28, 5));
  write_gz(dir.file("t10k-labels-idx1-ubyte.gz"), idx_labels(0x801, 4, {1, 2, 3, 4}));
  expect_data_error([&] { load_fashion_mnist(dir.path, false); }, {"found more data"});
}

TEST(Data, FashionMnistLabelOutOfRangeAndMissingFileRejected) {
  TempDir dir;
  expect_data_error([&] { load_fashion_mnist(dir.path, false); },
                    {"cannot open", dir.file("t10k-images-idx3-ubyte.gz"), dir.file("t10k-images-idx3-ubyte'"),
                     "dataset-fashion-mnist"});
  write_gz(dir.file("t10k-images-idx3-ubyte.gz"), idx_images(0x803, 5, 28, 28, 5));
  write_gz(dir.file("t10k-labels-idx1-ubyte.gz"), idx_labels(0x801, 5, {1, 2, 3, 12, 4}));
  expect_data_error([&] { load_fashion_mnist(dir.path, false); }, {"label 3 is 12", "expected 0..9"});
}

// ---- registry ----

TEST(Data, RegistryDispatchesAndRejectsUnknownNames) {
  EXPECT_EQ(image_dataset_names(), (std::vector<std::string>{"cifar10", "fashion-mnist"}));
  expect_data_error([] { load_image_dataset("mnist", "", true); }, {"'mnist'", "cifar10", "fashion-mnist"});
  expect_data_error([] { default_normalization("imagenet"); }, {"'imagenet'", "cifar10, fashion-mnist"});
  EXPECT_EQ(default_image_dataset_dir("cifar10"), default_cifar10_dir());
  EXPECT_EQ(default_image_dataset_dir("fashion-mnist"), "/usr/share/datasets/fashion-mnist");

  const Normalization c = default_normalization("cifar10");
  EXPECT_EQ(c.mean, (std::vector<float>{0.4914f, 0.4822f, 0.4465f}));
  EXPECT_EQ(c.stddev, (std::vector<float>{0.2470f, 0.2435f, 0.2616f}));
  const Normalization f = default_normalization("fashion-mnist");
  EXPECT_EQ(f.mean, (std::vector<float>{0.2860f}));
  EXPECT_EQ(f.stddev, (std::vector<float>{0.3530f}));

  TempDir dir;
  write_cifar_file(dir.file("test_batch.bin"), 0, 4);
  const ImageDataset ds = load_image_dataset("cifar10", dir.path, false, 4);
  expect_cifar_record(ds, 3, 3);
  EXPECT_EQ(ds.name, "cifar10/test");
}

// ---- augmentation and normalisation ----

at::Generator make_gen(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

// Images whose pixels are all distinct and > 0 (so padding zeros are recognisable).
at::Tensor distinct_images(int64_t b, int64_t c, int64_t h, int64_t w) {
  return at::arange(b * c * h * w, at::kLong).remainder(250).add(1).to(at::kByte).view({b, c, h, w});
}

// The crop at offset (dy, dx) of the zero-padded image, flipped if asked: the definition of the augmentation.
at::Tensor reference_crop_flip(const at::Tensor& img, int64_t pad, int64_t dy, int64_t dx, bool flip) {
  const int64_t h = img.size(1), w = img.size(2);
  at::Tensor padded = at::constant_pad_nd(img, {pad, pad, pad, pad}, 0);
  at::Tensor crop = padded.slice(1, dy, dy + h).slice(2, dx, dx + w);
  return flip ? crop.flip({2}) : crop;
}

TEST(Data, RandomCropFlipMatchesReferenceAndUsesEveryOffset) {
  const int64_t pad = 1, n = 200;
  // 4 x 5 images with distinct pixels per image (the image index shifts the pattern).
  const at::Tensor images = at::arange(2 * 4 * 5, at::kLong)
                                .view({1, 2, 4, 5})
                                .add(at::arange(n, at::kLong).view({n, 1, 1, 1}))
                                .remainder(200)
                                .add(1)
                                .to(at::kByte);
  at::Generator gen = make_gen(7);
  const at::Tensor out = random_crop_flip(images, pad, gen);
  ASSERT_EQ(out.sizes(), images.sizes());
  ASSERT_EQ(out.scalar_type(), at::kByte);
  std::set<std::tuple<int64_t, int64_t, bool>> seen;
  for (int64_t i = 0; i < n; ++i) {
    int matches = 0;
    for (int64_t dy = 0; dy <= 2 * pad; ++dy)
      for (int64_t dx = 0; dx <= 2 * pad; ++dx)
        for (bool flip : {false, true})
          if (out[i].equal(reference_crop_flip(images[i], pad, dy, dx, flip))) {
            ++matches;
            seen.insert({dy, dx, flip});
          }
    ASSERT_EQ(matches, 1) << "image " << i << " is not exactly one crop/flip of its input";
  }
  EXPECT_EQ(seen.size(), 18u);  // every offset and both flips occur over 200 images

  // Float input: the same crops for the same generator state.
  at::Generator gen2 = make_gen(7);
  const at::Tensor out_f = random_crop_flip(images.to(at::kFloat), pad, gen2);
  EXPECT_EQ(out_f.scalar_type(), at::kFloat);
  EXPECT_TRUE(out_f.equal(out.to(at::kFloat)));
}

TEST(Data, RandomCropFlipPadZeroFlipsAboutHalf) {
  const int64_t n = 400;
  const at::Tensor images = distinct_images(n, 1, 3, 4);
  at::Generator gen = make_gen(11);
  const at::Tensor out = random_crop_flip(images, 0, gen);
  int64_t flipped = 0;
  for (int64_t i = 0; i < n; ++i) {
    const bool same = out[i].equal(images[i]);
    const bool flip = out[i].equal(images[i].flip({2}));
    ASSERT_TRUE(same != flip) << "image " << i;
    flipped += flip;
  }
  // Binomial(400, 1/2): mean 200, std 10; 4.5 sigma bounds.
  EXPECT_GT(flipped, 155);
  EXPECT_LT(flipped, 245);
}

TEST(Data, RandomCropFlipIsDeterministicForASeed) {
  const at::Tensor images = distinct_images(16, 3, 8, 8);
  at::Generator g1 = make_gen(123), g2 = make_gen(123), g3 = make_gen(124);
  const at::Tensor a = random_crop_flip(images, 4, g1);
  const at::Tensor b = random_crop_flip(images, 4, g2);
  const at::Tensor c = random_crop_flip(images, 4, g3);
  EXPECT_TRUE(a.equal(b));
  EXPECT_FALSE(a.equal(c));
  // The generator advanced: a second call differs from the first.
  EXPECT_FALSE(random_crop_flip(images, 4, g1).equal(a));
  // Non-contiguous input gives the same as its contiguous copy.
  at::Generator g4 = make_gen(123);
  const at::Tensor nc = images.permute({0, 1, 3, 2}).contiguous().permute({0, 1, 3, 2});
  ASSERT_FALSE(nc.is_contiguous());
  EXPECT_TRUE(random_crop_flip(nc, 4, g4).equal(a));
}

TEST(Data, NormalizeGivesExpectedValues) {
  const Normalization norm{{0.5f, 0.25f}, {0.5f, 0.125f}};
  at::Tensor images = at::zeros({2, 2, 2, 2}, at::kByte);
  images[0][0][0][0] = 255;
  images[0][1][0][1] = 51;
  images[1][1][1][1] = 255;
  const at::Tensor out = normalize(images, norm);
  ASSERT_EQ(out.scalar_type(), at::kFloat);
  ASSERT_EQ(out.sizes(), images.sizes());
  EXPECT_FLOAT_EQ(out[0][0][0][0].item<float>(), 1.0f);   // (1 - 0.5) / 0.5
  EXPECT_FLOAT_EQ(out[0][0][1][1].item<float>(), -1.0f);  // (0 - 0.5) / 0.5
  EXPECT_FLOAT_EQ(out[0][1][0][1].item<float>(), -0.4f);  // (0.2 - 0.25) / 0.125
  EXPECT_FLOAT_EQ(out[1][1][0][0].item<float>(), -2.0f);  // (0 - 0.25) / 0.125
  EXPECT_FLOAT_EQ(out[1][1][1][1].item<float>(), 6.0f);   // (1 - 0.25) / 0.125

  // Against the formula with tensor ops, on random pixels of a bigger batch.
  at::Generator gen = make_gen(3);
  const at::Tensor big = at::randint(0, 256, {7, 3, 5, 6}, gen, at::kByte);
  const Normalization c10 = default_normalization("cifar10");
  const at::Tensor mean = at::tensor(c10.mean).view({1, 3, 1, 1});
  const at::Tensor sd = at::tensor(c10.stddev).view({1, 3, 1, 1});
  const at::Tensor expected = (big.to(at::kFloat) / 255.0f - mean) / sd;
  EXPECT_TRUE(at::allclose(normalize(big, c10), expected, 1e-6, 1e-6));

  // Empty normalisation: x / 255.
  EXPECT_TRUE(at::allclose(normalize(big, Normalization{}), big.to(at::kFloat) / 255.0f, 0, 1e-7));
  // Wrong channel count, bad stddev.
  expect_data_error([&] { normalize(big, default_normalization("fashion-mnist")); }, {"expected 3 channel", "found 1"});
  expect_data_error([&] { normalize(images, Normalization{{0.f, 0.f}, {1.f, 0.f}}); }, {"stddev > 0", "channel 1"});
}

// ---- BatchLoader ----

// n examples of 1 x 4 x 4; example i has every pixel i + 1 and label i (num_classes = n), so a batch shows
// which examples it holds.
ImageDataset indexed_dataset(int64_t n) {
  ImageDataset ds;
  ds.name = "indexed";
  ds.images = at::arange(1, n + 1, at::kLong).to(at::kByte).view({n, 1, 1, 1}).expand({n, 1, 4, 4}).contiguous();
  ds.labels = at::arange(n, at::kLong);
  ds.num_classes = n;
  for (int64_t i = 0; i < n; ++i) ds.class_names.push_back(std::to_string(i));
  return ds;
}

BatchLoaderOptions loader_options(uint64_t seed, bool augment, int prefetch = 2) {
  BatchLoaderOptions o;
  o.batch_size = 8;
  o.shuffle = true;
  o.augment = augment;
  o.crop_pad = 2;
  o.seed = seed;
  o.prefetch = prefetch;
  return o;
}

std::vector<Batch> whole_epoch(BatchLoader& loader, int64_t epoch, int64_t first = 0) {
  loader.start_epoch(epoch, first);
  std::vector<Batch> out;
  Batch b;
  while (loader.next(b)) out.push_back(b);
  return out;
}

void expect_same_batch(const Batch& a, const Batch& b) {
  EXPECT_EQ(a.epoch, b.epoch);
  EXPECT_EQ(a.index, b.index);
  EXPECT_TRUE(a.labels.equal(b.labels)) << "epoch " << a.epoch << " batch " << a.index;
  EXPECT_TRUE(a.images.equal(b.images)) << "epoch " << a.epoch << " batch " << a.index;
}

TEST(Data, BatchLoaderEpochCoversEveryExampleOnce) {
  const int64_t n = 50;
  BatchLoader loader(indexed_dataset(n), loader_options(1, /*augment=*/false));
  ASSERT_EQ(loader.batches_per_epoch(), 7);
  std::vector<std::vector<int64_t>> orders;
  for (int64_t epoch : {0, 1}) {
    const auto batches = whole_epoch(loader, epoch);
    ASSERT_EQ(batches.size(), 7u);
    std::vector<int64_t> order;
    for (size_t k = 0; k < batches.size(); ++k) {
      const Batch& b = batches[k];
      EXPECT_EQ(b.epoch, epoch);
      EXPECT_EQ(b.index, static_cast<int64_t>(k));
      ASSERT_EQ(b.labels.size(0), k + 1 < batches.size() ? 8 : 2);
      ASSERT_EQ(b.images.sizes(), (std::vector<int64_t>{b.labels.size(0), 1, 4, 4}));
      ASSERT_EQ(b.images.scalar_type(), at::kFloat);
      // Images travel with their labels: example i is (i + 1) / 255 everywhere.
      const at::Tensor expected = b.labels.add(1).to(at::kFloat).div(255.0f).view({-1, 1, 1, 1}).expand_as(b.images);
      EXPECT_TRUE(at::allclose(b.images, expected, 0, 1e-7));
      for (int64_t i = 0; i < b.labels.size(0); ++i) order.push_back(b.labels[i].item<int64_t>());
    }
    std::vector<int64_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int64_t> all(n);
    std::iota(all.begin(), all.end(), 0);
    EXPECT_EQ(sorted, all) << "epoch " << epoch << " does not hold every example exactly once";
    EXPECT_NE(order, all) << "epoch " << epoch << " is not shuffled";
    orders.push_back(order);
  }
  EXPECT_NE(orders[0], orders[1]);  // a new order each epoch

  BatchLoaderOptions unshuffled = loader_options(1, false);
  unshuffled.shuffle = false;
  unshuffled.drop_last = true;
  BatchLoader plain(indexed_dataset(n), unshuffled);
  EXPECT_EQ(plain.batches_per_epoch(), 6);
  const auto batches = whole_epoch(plain, 0);
  ASSERT_EQ(batches.size(), 6u);
  EXPECT_TRUE(batches[2].labels.equal(at::arange(16, 24, at::kLong)));
}

TEST(Data, BatchLoaderSameSeedSameBatches) {
  BatchLoader a(indexed_dataset(40), loader_options(5, /*augment=*/true, /*prefetch=*/2));
  BatchLoader b(indexed_dataset(40), loader_options(5, /*augment=*/true, /*prefetch=*/0));
  BatchLoader c(indexed_dataset(40), loader_options(6, /*augment=*/true, /*prefetch=*/2));
  const auto ea = whole_epoch(a, 2), eb = whole_epoch(b, 2), ec = whole_epoch(c, 2);
  ASSERT_EQ(ea.size(), eb.size());
  for (size_t k = 0; k < ea.size(); ++k) expect_same_batch(ea[k], eb[k]);
  EXPECT_FALSE(ea[0].labels.equal(ec[0].labels));  // another seed, another order

  // Augmentation is on: some pixels are padding (0 -> 0.0), and no image is shifted from another example.
  bool any_padding = false;
  for (const auto& batch : ea) {
    any_padding = any_padding || batch.images.eq(0.0f).any().item<bool>();
    const at::Tensor top = std::get<0>(batch.images.flatten(1).max(1));
    EXPECT_TRUE(at::allclose(top, batch.labels.add(1).to(at::kFloat).div(255.0f), 0, 1e-7));
  }
  EXPECT_TRUE(any_padding);
}

TEST(Data, BatchLoaderResumedRunSeesTheSameBatches) {
  const ImageDataset data = indexed_dataset(60);
  BatchLoader full(data, loader_options(9, /*augment=*/true));
  whole_epoch(full, 0);
  const auto epoch1 = whole_epoch(full, 1);
  ASSERT_EQ(epoch1.size(), 8u);

  // A fresh loader (as after a restart) started at epoch 1, batch 3.
  BatchLoader resumed(data, loader_options(9, /*augment=*/true, /*prefetch=*/1));
  const auto rest = whole_epoch(resumed, 1, 3);
  ASSERT_EQ(rest.size(), 5u);
  for (size_t k = 0; k < rest.size(); ++k) expect_same_batch(rest[k], epoch1[k + 3]);
  expect_same_batch(resumed.batch_at(1, 3), epoch1[3]);

  // Starting at the end of an epoch yields nothing.
  EXPECT_TRUE(whole_epoch(resumed, 1, 8).empty());
  expect_data_error([&] { resumed.start_epoch(1, 9); }, {"first batch in [0, 8]", "found epoch 1, first batch 9"});
}

TEST(Data, BatchLoaderStopsCleanlyAndLeavesThreadSettingsAlone) {
  const int threads_before = at::get_num_threads();
  {
    BatchLoader loader(indexed_dataset(100), loader_options(3, /*augment=*/true, /*prefetch=*/1));
    Batch b;
    expect_data_error([&] { loader.next(b); }, {"before start_epoch"});
    loader.start_epoch(0);
    ASSERT_TRUE(loader.next(b));
    // Abandon the epoch while the worker waits on a full queue, then restart elsewhere.
    loader.start_epoch(4, 2);
    ASSERT_TRUE(loader.next(b));
    EXPECT_EQ(b.epoch, 4);
    EXPECT_EQ(b.index, 2);
    loader.start_epoch(5);
    ASSERT_TRUE(loader.next(b));
  }  // destroyed mid-epoch: must not hang
  EXPECT_EQ(at::get_num_threads(), threads_before);
  int new_thread_count = -1;
  std::thread([&] { new_thread_count = at::get_num_threads(); }).join();
  EXPECT_EQ(new_thread_count, threads_before);  // the global setting new threads start from

  ImageDataset bad = indexed_dataset(10);
  BatchLoaderOptions opts = loader_options(0, false);
  opts.norm = default_normalization("cifar10");  // 3 channels for 1-channel images
  expect_data_error([&] { BatchLoader l(bad, opts); }, {"indexed", "expected 1 channel", "found 3"});
  opts = loader_options(0, false);
  opts.batch_size = 0;
  expect_data_error([&] { BatchLoader l(bad, opts); }, {"batch_size must be >= 1, found 0"});
  bad.labels[3] = 10;
  expect_data_error([&] { BatchLoader l(bad, loader_options(0, false)); }, {"labels in [0, 9]", "found [0, 10]"});
}

// ---- the real data sets, when installed ----

TEST(Data, RealCifar10TestBatch) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_cifar10(), "cifar10");
  const std::string dir = default_cifar10_dir();
  const ImageDataset ds = load_image_dataset("cifar10", dir, /*train=*/false, 100);
  ASSERT_EQ(ds.images.sizes(), (std::vector<int64_t>{100, 3, 32, 32}));
  EXPECT_GE(ds.labels.min().item<int64_t>(), 0);
  EXPECT_LE(ds.labels.max().item<int64_t>(), 9);
  EXPECT_EQ(ds.class_names, cifar10_class_names());
  // The official test set starts with cat, ship, ship, airplane, frog, frog, automobile, frog, cat, automobile.
  EXPECT_TRUE(ds.labels.slice(0, 0, 10).equal(at::tensor({3, 8, 8, 0, 6, 6, 1, 6, 3, 1}, at::kLong)));
  // Natural images: mean brightness well inside (0, 255).
  const double mean = ds.images.to(at::kFloat).mean().item<double>();
  EXPECT_GT(mean, 80.0);
  EXPECT_LT(mean, 160.0);
}

TEST(Data, RealFashionMnistTestSet) {
  CIMTRAIN_REQUIRE_DATA(cimtrain::testing_support::have_fashion_mnist(), "fashion-mnist");
  const ImageDataset ds = load_image_dataset("fashion-mnist", "", /*train=*/false, 100);
  ASSERT_EQ(ds.images.sizes(), (std::vector<int64_t>{100, 1, 28, 28}));
  EXPECT_GE(ds.labels.min().item<int64_t>(), 0);
  EXPECT_LE(ds.labels.max().item<int64_t>(), 9);
  // The test set starts with Ankle boot, Pullover, Trouser, Trouser, Shirt, Trouser, Coat, Shirt, Sandal, Sneaker.
  EXPECT_TRUE(ds.labels.slice(0, 0, 10).equal(at::tensor({9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, at::kLong)));
  const double mean = ds.images.to(at::kFloat).mean().item<double>() / 255.0;
  EXPECT_NEAR(mean, default_normalization("fashion-mnist").mean[0], 0.05);
}

}  // namespace
}  // namespace cimtrain::data
