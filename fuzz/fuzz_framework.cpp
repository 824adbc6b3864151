// Outcome framework JSON: parsed, then every listed item resolved as an assessment names it,
// plus an unlisted indicator (appended) and an unknown item.
#include <cstddef>
#include <cstdint>
#include <string>

#include "accept_input_errors.hpp"
#include "socialrx/model/framework.hpp"

namespace {

using socialrx::Framework;

// The item name an assessment table gives indicator `index`.
std::string item_name(const Framework& framework, std::size_t index) {
  const auto& indicator = framework.indicators[index];
  if (indicator.domain < 0) return indicator.id;
  return framework.domains[static_cast<std::size_t>(indicator.domain)].id + "." + indicator.id;
}

void resolve_items(Framework framework) {
  const std::size_t listed = framework.indicators.size();
  for (std::size_t index = 0; index < listed; ++index)
    if (socialrx::resolve_item(framework, item_name(framework, index)) != static_cast<int>(index))
      socialrx::fuzz::broken("a listed item resolves to its own index");
  if (!framework.domains.empty())
    socialrx::resolve_item(framework, framework.domains.front().id + ".not_listed");
  socialrx::resolve_item(framework, "no such domain.item");
  framework.threshold("not_managing");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  socialrx::fuzz::accept_input_errors(
      [&] { resolve_items(socialrx::framework_from_json(socialrx::fuzz::as_text(data, size))); });
  return 0;
}
