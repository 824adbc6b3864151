#pragma once
// What every harness expects of bad input: the library refuses it with socialrx::InputError
// (a std::invalid_argument), or refuses a job too big for memory with NotEnoughMemory.
// Anything else escaping reaches std::terminate, which libFuzzer reports as a crash.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "socialrx/core/error.hpp"

namespace socialrx::fuzz {

template <class Run>
void accept_input_errors(Run&& run) {
  try {
    run();
  } catch (const std::invalid_argument&) {
  } catch (const NotEnoughMemory&) {
  }
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A property the harness checks failed: abort, so that libFuzzer keeps the input.
[[noreturn]] inline void broken(const char* what) {
  __builtin_printf("broken property: %s\n", what);
  __builtin_trap();
}

}  // namespace socialrx::fuzz
