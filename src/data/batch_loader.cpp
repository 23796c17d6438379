// BatchLoader: per-epoch Fisher-Yates order and per-batch augmentation from seeds hashed from (seed, epoch,
// batch); a bounded producer/consumer queue fed by one single-threaded worker.
#include "data/batch_loader.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>
#include <sstream>

#include "data/augment.h"
#include "data/data_error.h"

namespace cimtrain::data {
namespace {

constexpr uint64_t kOrderStream = 0x6F72646572ull;    // "order": the epoch's permutation
constexpr uint64_t kAugmentStream = 0x6175676D6Eull;  // "augmn": a batch's crop/flip draws

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A generator seed that is a function of (seed, stream, epoch, batch) only.
uint64_t derived_seed(uint64_t seed, uint64_t stream, int64_t epoch, int64_t batch) {
  uint64_t h = splitmix64(seed);
  h = splitmix64(h ^ stream);
  h = splitmix64(h ^ static_cast<uint64_t>(epoch));
  return splitmix64(h ^ static_cast<uint64_t>(batch));
}

// Makes this (worker) thread run LibTorch's parallel loops on one thread, without touching the global
// setting that at::set_num_threads would change: only this thread's OpenMP thread count is set.
void use_one_intra_op_thread_here() {
  at::internal::lazy_init_num_threads();  // our copy of the per-thread "initialised" flag ...
  (void)at::get_num_threads();            // ... and LibTorch's, so neither resets what follows
#ifdef _OPENMP
  omp_set_num_threads(1);
#endif
}

}  // namespace

void BatchLoaderOptions::validate() const {
  std::ostringstream s;
  if (batch_size < 1)
    s << "batch_size must be >= 1, found " << batch_size;
  else if (crop_pad < 0)
    s << "crop_pad must be >= 0, found " << crop_pad;
  else if (prefetch < 0)
    s << "prefetch must be >= 0, found " << prefetch;
  if (!s.str().empty()) throw DataError("batch loader options: " + s.str());
  norm.validate();
}

BatchLoader::BatchLoader(const ImageDataset& data, BatchLoaderOptions opts) : data_(data), opts_(std::move(opts)) {
  data_.validate();
  opts_.validate();
  try {
    opts_.norm.validate(data_.images.size(1));
  } catch (const DataError& e) {
    throw DataError("batch loader for '" + data_.name + "': " + e.what());
  }
  data_.images = data_.images.contiguous();
  data_.labels = data_.labels.contiguous();
}

BatchLoader::~BatchLoader() { stop_worker(); }

int64_t BatchLoader::batches_per_epoch() const {
  const int64_t n = data_.size();
  return opts_.drop_last ? n / opts_.batch_size : (n + opts_.batch_size - 1) / opts_.batch_size;
}

at::Tensor BatchLoader::permutation(int64_t epoch) const {
  const int64_t n = data_.size();
  at::Tensor order = at::arange(n, at::kLong);
  if (!opts_.shuffle || n < 2) return order;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(derived_seed(opts_.seed, kOrderStream, epoch, 0));
  auto* g = at::check_generator<at::CPUGeneratorImpl>(gen);
  int64_t* p = order.data_ptr<int64_t>();
  for (int64_t i = n - 1; i > 0; --i) {  // Fisher-Yates
    const auto j = static_cast<int64_t>(g->random64() % static_cast<uint64_t>(i + 1));
    std::swap(p[i], p[j]);
  }
  return order;
}

Batch BatchLoader::make_batch(const at::Tensor& order, int64_t epoch, int64_t index) const {
  const int64_t begin = index * opts_.batch_size;
  const int64_t end = std::min(begin + opts_.batch_size, data_.size());
  const at::Tensor idx = order.slice(0, begin, end);
  at::Tensor images = data_.images.index_select(0, idx);
  if (opts_.augment) {
    at::Generator gen =
        at::make_generator<at::CPUGeneratorImpl>(derived_seed(opts_.seed, kAugmentStream, epoch, index));
    images = random_crop_flip(images, opts_.crop_pad, gen);
  }
  Batch b;
  b.images = normalize(images, opts_.norm);
  b.labels = data_.labels.index_select(0, idx);
  b.epoch = epoch;
  b.index = index;
  return b;
}

Batch BatchLoader::batch_at(int64_t epoch, int64_t index) const {
  if (epoch < 0 || index < 0 || index >= batches_per_epoch()) {
    std::ostringstream s;
    s << "batch loader for '" << data_.name << "': expected epoch >= 0 and batch index in [0, " << batches_per_epoch()
      << "), found epoch " << epoch << ", batch " << index;
    throw DataError(s.str());
  }
  return make_batch(permutation(epoch), epoch, index);
}

void BatchLoader::start_epoch(int64_t epoch, int64_t first_batch) {
  if (epoch < 0 || first_batch < 0 || first_batch > batches_per_epoch()) {
    std::ostringstream s;
    s << "batch loader for '" << data_.name << "': expected epoch >= 0 and first batch in [0, " << batches_per_epoch()
      << "], found epoch " << epoch << ", first batch " << first_batch;
    throw DataError(s.str());
  }
  stop_worker();
  epoch_ = epoch;
  next_index_ = first_batch;
  order_ = permutation(epoch);
  started_ = true;
  done_ = false;
  if (opts_.prefetch > 0) worker_ = std::thread([this] { run_worker(); });
}

void BatchLoader::run_worker() {
  try {
    use_one_intra_op_thread_here();
    const int64_t end = batches_per_epoch();
    for (int64_t i = next_index_; i < end; ++i) {
      Batch b = make_batch(order_, epoch_, i);
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stop_ || static_cast<int64_t>(queue_.size()) < opts_.prefetch; });
      if (stop_) return;
      queue_.push_back(std::move(b));
      cv_.notify_all();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = std::current_exception();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  done_ = true;
  cv_.notify_all();
}

void BatchLoader::stop_worker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  stop_ = false;
  queue_.clear();
  error_ = nullptr;
}

bool BatchLoader::next(Batch& out) {
  if (!started_) throw DataError("batch loader for '" + data_.name + "': next() called before start_epoch()");
  if (opts_.prefetch == 0) {
    if (next_index_ >= batches_per_epoch()) return false;
    out = make_batch(order_, epoch_, next_index_);
    ++next_index_;
    return true;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] { return !queue_.empty() || done_; });
  if (!queue_.empty()) {
    out = std::move(queue_.front());
    queue_.pop_front();
    cv_.notify_all();
    return true;
  }
  if (error_) {
    std::exception_ptr e = error_;
    error_ = nullptr;
    std::rethrow_exception(e);
  }
  return false;
}

}  // namespace cimtrain::data
