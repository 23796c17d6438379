// Models by name (see model_registry.h).
#include "models/model_registry.h"

#include <algorithm>
#include <stdexcept>

#include "models/resnet.h"
#include "models/small_cnn.h"
#include "models/vgg.h"

namespace cimtrain::models {

const std::vector<std::string>& model_names() {
  static const std::vector<std::string> names = {"small-cnn", "vgg8", "vgg11", "resnet20", "resnet18"};
  return names;
}

std::shared_ptr<Classifier> make_model(const std::string& name, int64_t in_channels, int64_t num_classes) {
  if (name == "small-cnn") return std::make_shared<SmallCnn>(in_channels, num_classes);
  if (name == "vgg8") return make_vgg8(in_channels, num_classes);
  if (name == "vgg11") return make_vgg11(in_channels, num_classes);
  if (name == "resnet20") return make_resnet20(in_channels, num_classes);
  if (name == "resnet18") return make_resnet18(in_channels, num_classes);
  std::string known;
  for (const auto& n : model_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown model '" + name + "' (known: " + known + ")");
}

const std::vector<std::string>& language_model_names() {
  static const std::vector<std::string> names = {"gpt", "bert"};
  return names;
}

bool is_language_model(const std::string& name) {
  const auto& n = language_model_names();
  return std::find(n.begin(), n.end(), name) != n.end();
}

std::shared_ptr<Transformer> make_language_model(const std::string& name, const TransformerOptions& options) {
  if (name == "gpt") return make_gpt(options);
  if (name == "bert") return make_bert(options);
  throw std::invalid_argument("unknown language model '" + name + "' (known: gpt, bert)");
}

}  // namespace cimtrain::models
